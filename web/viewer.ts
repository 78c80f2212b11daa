/**
 * Volumes shown in NiiVue (@niivue/niivue, the viewer neuroimaging people
 * already use: three planes, scrolling, windowing), served with the page
 * from node_modules like the engine's own modules, never from a CDN. Its
 * package ships the unbundled build (whose bare imports include CommonJS
 * modules no import map can serve) and one self-contained ES module, URL-
 * encoded into a string; the page imports that module from a blob: URL.
 */
import type { Niivue } from '@niivue/niivue';

type NiivueModule = typeof import('@niivue/niivue');

let niivue: Promise<NiivueModule> | null = null;

/** NiiVue's module, loaded once. */
function loadNiivue(): Promise<NiivueModule> {
  niivue ??= (async () => {
    const bundle = new URL('../../node_modules/@niivue/niivue/build/index.min.js', import.meta.url); // from dist/web/
    const { esm } = (await import(bundle.href)) as { esm: string };
    const url = URL.createObjectURL(new Blob([decodeURIComponent(esm)], { type: 'text/javascript' }));
    try {
      return (await import(url)) as NiivueModule;
    } finally {
      URL.revokeObjectURL(url);
    }
  })();
  return niivue;
}

/** A NiiVue view on `canvas`: the three planes (and a render) of one volume at a time. */
export class VolumeView {
  private constructor(private readonly nv: Niivue) {}

  static async on(canvas: HTMLCanvasElement): Promise<VolumeView> {
    const { Niivue } = await loadNiivue();
    const nv = new Niivue({ backColor: [0, 0, 0, 1], crosshairColor: [0.3, 0.6, 1, 0.8], crosshairWidth: 1, dragAndDropEnabled: false, logLevel: 'error', isResizeCanvas: true });
    await nv.attachToCanvas(canvas);
    nv.setSliceType(nv.sliceTypeMultiplanar);
    return new VolumeView(nv);
  }

  /** Shows a NIfTI file's bytes (.nii, or .nii.gz by its name) in place of what was shown. */
  async show(bytes: Uint8Array, name: string): Promise<void> {
    for (const volume of [...this.nv.volumes]) this.nv.removeVolume(volume);
    const copy = bytes.slice().buffer; // NiiVue keeps the buffer
    await this.nv.loadFromArrayBuffer(copy, name);
  }

  /** The number of volumes shown, for the page's state. */
  get volumes(): number {
    return this.nv.volumes.length;
  }
}
