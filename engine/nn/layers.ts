/** Layers with parameters: nn.Conv2d, nn.ConvTranspose2d, nn.Linear. */
import { conv2d, convTranspose2d, pair, type ActivationOptions, type Pair } from '../ops/conv.js';
import { linear } from '../ops/linear.js';
import type { PadMode } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';
import { defaultUniform } from './init.js';
import { Module, parameter } from './module.js';


export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  /** PyTorch's padding_mode: 'zeros' (default) or 'reflect'. */
  padMode?: PadMode;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    readonly options: Conv2dOptions = {},
  ) {
    super();
    const [kH, kW] = pair(kernelSize);
    const fanIn = inChannels * kH * kW;
    this.weight = parameter(defaultUniform([outChannels, inChannels, kH, kW], fanIn));
    if (options.bias ?? true) this.bias = parameter(defaultUniform([outChannels], fanIn));
  }

  /** The convolution, then `activation` (if given) in the same pass. */
  forward(x: Tensor, activation: ActivationOptions = {}): Tensor {
    return conv2d(x, this.weight, this.bias, { ...this.options, ...activation });
  }
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  bias?: boolean;
}

export class ConvTranspose2d extends Module {
  /** [inChannels, outChannels, kH, kW], as PyTorch stores it. */
  readonly weight: Tensor;
  readonly bias?: Tensor;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    readonly options: ConvTranspose2dOptions = {},
  ) {
    super();
    const [kH, kW] = pair(kernelSize);
    const fanIn = outChannels * kH * kW; // PyTorch computes fan-in from the weight's dim 1
    this.weight = parameter(defaultUniform([inChannels, outChannels, kH, kW], fanIn));
    if (options.bias ?? true) this.bias = parameter(defaultUniform([outChannels], fanIn));
  }

  /** The transposed convolution, then `activation` (if given) in the same pass. */
  forward(x: Tensor, activation: ActivationOptions = {}): Tensor {
    return convTranspose2d(x, this.weight, this.bias, { ...this.options, ...activation });
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    this.weight = parameter(defaultUniform([outFeatures, inFeatures], inFeatures));
    if (options.bias ?? true) this.bias = parameter(defaultUniform([outFeatures], inFeatures));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
