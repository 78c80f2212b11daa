/**
 * One's own scan translated in the page, as `fedmed translate` does it:
 * a NIfTI volume and a generators checkpoint (bytes from a file picker or
 * the demo), the volume translated plane by plane (eval/volume-translate.ts)
 * and written as float32 NIfTI with the input's header and affine
 * (data/nifti/encode.ts), gzipped. Browser-safe; nothing leaves the page.
 */
import { data, eval as evaluation, fed, type models } from '../browser.js';

export interface ScanTranslation {
  /** What translated into what, and the checkpoint's model. */
  from: data.Contrast;
  to: data.Contrast;
  model: string;
  dims: [number, number, number];
  /** The synthesized volume, .nii.gz bytes. */
  nifti: Uint8Array;
  seconds: number;
}

/** The synthesized volume's file name: the input's, with the contrast it became. */
export function synthesizedName(input: string, to: data.Contrast): string {
  return `${input.replace(/\.nii(\.gz)?$/i, '')}_synth-${to}.nii.gz`;
}

/** Reads a NIfTI volume (.nii or .nii.gz); a bad file, or one that is not one 3-D volume, is one line naming it. */
export function readScan(bytes: Uint8Array, name: string): data.NiftiVolume {
  const volume = data.decodeNifti(bytes, name);
  data.volumeDims(volume);
  return volume;
}

/** Translates `volume` with `checkpoint`'s generators on the current backend. */
export async function translateScan(
  volume: data.NiftiVolume,
  checkpoint: fed.Checkpoint,
  direction: models.Direction,
  onProgress?: (done: number, total: number) => void,
): Promise<ScanTranslation> {
  const started = performance.now();
  const m = checkpoint.metadata;
  const model = fed.buildModel(checkpoint);
  let values: Float32Array;
  try {
    values = await evaluation.translateVolume(volume, evaluation.modelTranslator(model, direction), { size: m.size, onProgress });
  } finally {
    model.dispose();
  }
  const [from, to] = direction === 'a2b' ? [m.source, m.target] : [m.target, m.source];
  return {
    from,
    to,
    model: fed.describeCheckpoint(m),
    dims: data.volumeDims(volume),
    nifti: data.encodeNifti(volume.header, values, { datatype: 'float32' }),
    seconds: (performance.now() - started) / 1000,
  };
}
