/** createModel: a GanModel by name, its parameters initialised from the seed. */
import { manualSeed } from '../engine/index.js';
import { CycleGan } from './cyclegan/model.js';
import { modelNames, resolveOptions, type GanModel, type ModelName, type ModelOptions } from './gan_model.js';
import { Hlhgan } from './hlhgan/model.js';
import { HyperGan } from './hypergan/model.js';
import { Munit } from './munit/model.js';
import { Unit } from './unit/model.js';

/** The image sides each model accepts: a multiple of `multiple`, at least `min` (its discriminators' depth). */
const sizeRules: Record<ModelName, { multiple: number; min: number }> = {
  cyclegan: { multiple: 32, min: 32 }, // five stride-2 U-Net blocks
  'cyclegan-resnet': { multiple: 4, min: 24 },
  unit: { multiple: 4, min: 16 },
  munit: { multiple: 4, min: 64 }, // the third scale sees a quarter of the side
  hlhgan: { multiple: 8, min: 32 }, // the low discriminator halves the half-size image twice
  hypergan: { multiple: 8, min: 16 }, // the discriminator's three stride-2 layers
};

/** Why slices of side `size` do not fit model `name` (its downsampling), or null when they do. */
export function sizeProblem(name: ModelName, size: number): string | null {
  const rule = sizeRules[name];
  return Number.isInteger(size) && size % rule.multiple === 0 && size >= rule.min ? null : `${name} needs a size that is a multiple of ${rule.multiple} and at least ${rule.min}, got ${size}`;
}

/**
 * A model with PyTorch's default initialisation drawn from `seed` (the
 * engine's global generator is reseeded). Options default to the paper's:
 * width 64, 256x256, Adam lr 1e-4 betas (0.5, 0.999), seed 3.
 */
export function createModel(name: ModelName, options: ModelOptions = {}): GanModel {
  if (!modelNames.includes(name)) throw new Error(`createModel: unknown model '${name}'; choose one of ${modelNames.join(', ')}`);
  const resolved = resolveOptions(options);
  const { width, size } = resolved;
  if (!Number.isInteger(width) || width < 1) throw new Error(`createModel: width must be a whole number >= 1, got ${width}`);
  const problem = sizeProblem(name, size);
  if (problem) throw new Error(`createModel: ${problem}`);
  const { discriminators } = resolved;
  if (!Number.isInteger(discriminators) || discriminators < 1) throw new Error(`createModel: discriminators must be a whole number >= 1, got ${discriminators}`);
  if (discriminators > 1 && name !== 'cyclegan' && name !== 'cyclegan-resnet') {
    throw new Error(`createModel: averaged discriminators (${discriminators}) are CycleGAN's ablation; ${name} has one per domain`);
  }
  manualSeed(resolved.seed);
  switch (name) {
    case 'cyclegan':
      return new CycleGan(resolved, 'unet');
    case 'cyclegan-resnet':
      return new CycleGan(resolved, 'resnet');
    case 'unit':
      return new Unit(resolved);
    case 'munit':
      return new Munit(resolved);
    case 'hlhgan':
      return new Hlhgan(resolved);
    case 'hypergan':
      return new HyperGan(resolved);
    default:
      return name satisfies never;
  }
}
