/**
 * One's own scan translated in the page, as `fedmed translate` does it:
 * a NIfTI volume and a generators checkpoint (bytes from a file picker or
 * the demo), the volume translated plane by plane (eval/volume-translate.ts)
 * and written as float32 NIfTI with the input's header and affine
 * (data/nifti/encode.ts), gzipped. Browser-safe; nothing leaves the page.
 */
import { data, eval as evaluation, fed, type models } from '../browser.js';
import { yieldToPage } from './yield.js';

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

/**
 * Reads a picked NIfTI volume (.nii or .nii.gz) and keeps its bytes for the
 * viewer; a file too large, a bad one, or one that is not one 3-D volume is
 * one line naming it, found before the whole file is read where it can be.
 */
export async function readScan(file: Blob, name: string): Promise<{ volume: data.NiftiVolume; bytes: Uint8Array }> {
  const read = await data.readNiftiBlob(file, name);
  data.volumeDims(read.volume);
  return read;
}

/** Translates `volume` with `checkpoint`'s generators on the current backend, as fedmed translate does (eval translateWithModel). */
export async function translateScan(
  volume: data.NiftiVolume,
  checkpoint: fed.Checkpoint,
  direction: models.Direction,
  onProgress?: (done: number, total: number) => unknown,
): Promise<ScanTranslation> {
  const started = performance.now();
  const values = await evaluation.translateWithModel(volume, fed.buildModel(checkpoint), direction, { onProgress, modelName: checkpoint.file });
  const [from, to] = evaluation.directionContrasts(checkpoint.metadata, direction);
  return {
    from,
    to,
    model: fed.describeCheckpoint(checkpoint.metadata),
    dims: data.volumeDims(volume),
    nifti: await data.gzipInSteps(data.encodeNifti(volume.header, values, { datatype: 'float32', gzip: false }), yieldToPage),
    seconds: (performance.now() - started) / 1000,
  };
}
