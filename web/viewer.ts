/**
 * Volumes shown in NiiVue (@niivue/niivue, the viewer neuroimaging people
 * already use: three planes, scrolling, windowing), served with the page
 * from node_modules like the engine's own modules, never from a CDN. Its
 * package ships the unbundled build (whose bare imports include CommonJS
 * modules no import map can serve) and one self-contained ES module, URL-
 * encoded into a string; the page imports that module from a blob: URL.
 */
import type { Niivue } from '@niivue/niivue';
import { data } from '../browser.js';

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

  /**
   * Shows a NIfTI file's bytes (.nii or .nii.gz) in place of what was shown.
   * NiiVue is given a neutral name from the bytes, never the file's: a name
   * it does not recognise (an upper-case .NII.GZ) makes it fetch that name
   * from the page's server, and nothing about a scan may leave the page.
   */
  async show(bytes: Uint8Array): Promise<void> {
    this.clear();
    const copy = bytes.slice().buffer; // NiiVue keeps the buffer
    await this.nv.loadFromArrayBuffer(copy, data.isGzipped(bytes) ? 'volume.nii.gz' : 'volume.nii');
  }

  /** Shows nothing. */
  clear(): void {
    for (const volume of [...this.nv.volumes]) this.nv.removeVolume(volume);
  }

  /** The number of volumes shown, for the page's state. */
  get volumes(): number {
    return this.nv.volumes.length;
  }
}
