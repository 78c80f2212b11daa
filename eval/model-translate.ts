/**
 * A volume translated by a checkpoint's generators, the one way `fedmed
 * translate` and the page's scan card (web/scan.ts) do it: the volume
 * translated plane by plane (./volume-translate.ts) in `direction`, and the
 * model freed whatever happens. The caller builds the model (fed
 * buildModel: eval does not import fed) and hands it over. Browser-safe.
 */
import type { Contrast, NiftiVolume } from '../data/index.js';
import type { Direction, GanModel } from '../models/index.js';
import { modelTranslator, translateVolume, type TranslateVolumeOptions } from './volume-translate.js';

/** The contrasts a checkpoint translates from and into in `direction`: a2b is source -> target. */
export function directionContrasts(metadata: { source: Contrast; target: Contrast }, direction: Direction): [from: Contrast, to: Contrast] {
  return direction === 'a2b' ? [metadata.source, metadata.target] : [metadata.target, metadata.source];
}

/** translateVolume's values at the model's image side; `model` is disposed when it returns or throws. */
export async function translateWithModel(
  volume: NiftiVolume,
  model: GanModel,
  direction: Direction,
  options: Omit<TranslateVolumeOptions, 'size'> = {},
): Promise<Float32Array> {
  try {
    return await translateVolume(volume, modelTranslator(model, direction), { ...options, size: model.options.size });
  } finally {
    model.dispose();
  }
}
