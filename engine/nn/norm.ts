/** Normalisation layers: nn.InstanceNorm2d and MUNIT's LayerNorm. */
import { ones, rand, zeros } from '../ops/creation.js';
import type { ActivationOptions } from '../ops/elementwise.js';
import { instanceNorm, layerNorm } from '../ops/norm.js';
import type { Tensor } from '../tensor.js';
import { Module, parameter } from './module.js';

export interface NormOptions {
  eps?: number;
  affine?: boolean;
}

/** nn.InstanceNorm2d (no running statistics); affine off by default, as in PyTorch. */
export class InstanceNorm2d extends Module {
  readonly weight?: Tensor;
  readonly bias?: Tensor;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    options: NormOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    if (options.affine) {
      this.weight = parameter(ones([numFeatures]));
      this.bias = parameter(zeros([numFeatures]));
    }
  }

  /** The activation, when given, runs in the norm's own pass (nn.Sequential passes the layer after it). */
  forward(x: Tensor, activation: ActivationOptions = {}): Tensor {
    return instanceNorm(x, { weight: this.weight, bias: this.bias, eps: this.eps, ...activation });
  }
}

/** MUNIT's LayerNorm: affine on by default, gamma uniform in [0, 1), beta zero, as MUNIT initialises them. */
export class LayerNorm extends Module {
  readonly gamma?: Tensor;
  readonly beta?: Tensor;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    options: NormOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    if (options.affine ?? true) {
      this.gamma = parameter(rand([numFeatures]));
      this.beta = parameter(zeros([numFeatures]));
    }
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, { weight: this.gamma, bias: this.beta, eps: this.eps });
  }
}
