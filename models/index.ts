/** fedmed's translation GANs: one GanModel interface, created by name. */
export { createModel, sizeProblem } from './factory.js';
export {
  modelNames,
  resolveOptions,
  trainsOnEveryContrast,
  type Batch,
  type Direction,
  type GanModel,
  type GeneratorPass,
  type GeneratorStepOptions,
  type IdentityVariant,
  type LossWeights,
  type ModelName,
  type ModelOptions,
  type NamedParameters,
  type ResolvedOptions,
  type TrainStepOptions,
} from './gan_model.js';
export { detach, type Discriminator } from './gan_base.js';
export { UNetGenerator } from './cyclegan/generator_unet.js';
export { ResnetGenerator } from './cyclegan/generator_resnet.js';
export { AveragedDiscriminator, CycleDiscriminator } from './cyclegan/discriminator.js';
export { UnitDecoder, UnitDiscriminator, UnitEncoder } from './unit/networks.js';
export { MunitEncoder } from './munit/encoder.js';
export { MunitDecoder } from './munit/decoder.js';
export { MultiScaleDiscriminator } from './munit/discriminator.js';
export { Degrader, HighLowHigh, LowDiscriminator, Upgrader } from './hlhgan/networks.js';
export { ContrastDiscriminator, contrastCodes, HyperDecoder, HyperEncoder, HyperGenerator, SharedBackbone } from './hypergan/networks.js';
export { HyperConv2d } from './hypergan/hyper_conv.js';
export { HyperGan } from './hypergan/model.js';
export { ResidualBlock } from './blocks.js';
