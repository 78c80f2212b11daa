/** fedmed's tensor engine: the public API. */
export { Tensor } from './tensor.js';
export { sameShape, sizeOf } from './strides.js';
export type { Backend, BackendName, Handle, MemoryInfo, RandomKey } from './backend.js';
export { BackendUnavailableError, HandleError } from './backend.js';
export { backendNames, type BackendChoice, type BackendOptions } from './backends/index.js';
export { autoReason, getBackend, memory, setBackend, useBackend, type EngineMemory } from './select.js';
export { profileBackend, type KernelStat, type Profiler } from './profile.js';
export { platform, setPlatform, type Platform } from './platform.js';
export { keep, tidy } from './scope.js';
export { noGrad, type BackwardOptions } from './tape.js';
export { manualSeed, Rng } from './rng.js';

export { drawRandomKey, full, ones, rand, randn, randomNormal, tensor, zeros, type CreateOptions, type RandomOptions } from './ops/creation.js';
export { abs, add, affine, clamp, div, exp, leakyRelu, log, mul, neg, relu, sigmoid, sqrt, square, sub, tanh } from './ops/elementwise.js';
export { mean, sum } from './ops/reduce.js';
export { cat, expandTo, pad, reshape, slice, type PadMode } from './ops/shape.js';
export { conv2d, convTranspose2d, type ActivationOptions, type Conv2dOptions, type ConvTranspose2dOptions, type Pair } from './ops/conv.js';
export { linear, matmul } from './ops/linear.js';
export { adaIn, instanceNorm, layerNorm, type InstanceNormOptions, type LayerNormOptions } from './ops/norm.js';
export { adaptiveAvgPool2d, avgPool2d, upsampleNearest, type AvgPool2dOptions } from './ops/resample.js';
export { l1Loss, mseLoss } from './ops/loss.js';
export { clippedSumWithNoise, perSampleSquaredNorms, type ClippedSumOptions } from './ops/dp.js';
export { gradientHook } from './ops/hook.js';
export type { StateEntry } from './nn/module.js';
export { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from './safetensors.js';

export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
