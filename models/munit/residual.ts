/**
 * MUNIT's residual block (keys block.1.*, block.5.*) with InstanceNorm in the
 * content encoder and adaptive instance normalisation in the decoder, whose
 * per-sample scale and shift come from the style code's MLP.
 */
import { adaIn, add, nn, type Tensor } from '../../engine/index.js';
import { instanceNorm2d } from '../blocks.js';

/**
 * AdaIN: each (sample, channel) plane normalised (biased variance, eps 1e-5),
 * then times `std` plus `mean`, both [N, C], assigned before each forward as
 * the reference assigns weight and bias. No parameters of its own.
 */
export class AdaptiveInstanceNorm2d extends nn.Module {
  // Kept in a nested object so that the parameter walk never sees these (derived) tensors.
  private style: { mean: Tensor; std: Tensor } | null = null;

  constructor(readonly numFeatures: number) {
    super();
  }

  assign(mean: Tensor, std: Tensor): void {
    this.style = { mean, std };
  }

  clear(): void {
    this.style = null;
  }

  forward(x: Tensor): Tensor {
    if (!this.style) throw new Error('AdaptiveInstanceNorm2d: assign(mean, std) before forward');
    return adaIn(x, this.style.mean, this.style.std, 1e-5);
  }
}

export class MunitResidualBlock extends nn.Module {
  readonly block: nn.Sequential;

  constructor(channels: number, norm: 'in' | 'adain') {
    super();
    const normLayer = () => (norm === 'in' ? instanceNorm2d(channels) : new AdaptiveInstanceNorm2d(channels));
    this.block = new nn.Sequential(
      nn.ReflectionPad2d(1),
      new nn.Conv2d(channels, channels, 3),
      normLayer(),
      nn.ReLU(),
      nn.ReflectionPad2d(1),
      new nn.Conv2d(channels, channels, 3),
      normLayer(),
    );
  }

  /** The block's AdaIN layers, in order (none with InstanceNorm). */
  adaIns(): AdaptiveInstanceNorm2d[] {
    return this.block.layers.filter((m): m is AdaptiveInstanceNorm2d => m instanceof AdaptiveInstanceNorm2d);
  }

  forward(x: Tensor): Tensor {
    return add(x, this.block.forward(x));
  }
}
