/**
 * HLHGAN's networks (after Huang et al. 2020b, IJCAI, "Super-resolution and
 * inpainting with degraded and upgraded GANs"; DESIGN.md, Models, says what
 * is ours). A translation a -> b goes high -> low -> high: the degrader maps
 * a full-size image of one contrast to a half-size image of the other, the
 * upgrader of that contrast brings it back to full size. Width w = 64 in the
 * paper's setting; sides must be multiples of 8.
 *
 * Degrader (high to low), one Sequential `model`:
 * | index | layers | output at 256 | parameters (w = 64) |
 * |---|---|---|---|
 * | 0-2 | Conv3x3 pad 1 1->w, IN, LReLU 0.2 | w x 256 | 640 |
 * | 3-5 | Conv3x3 s2 pad 1 w->2w, IN, LReLU | 2w x 128 | 73,856 |
 * | 6-7 | 2 residual blocks (2w) | 2w x 128 | 590,336 |
 * | 8-9 | Conv3x3 pad 1 2w->1, Tanh | 1 x 128 | 1,153 |
 *
 * Upgrader (low to high):
 * | index | layers | output at 128 in | parameters (w = 64) |
 * |---|---|---|---|
 * | 0-2 | Conv3x3 pad 1 1->2w, IN, ReLU | 2w x 128 | 1,280 |
 * | 3-4 | 2 residual blocks (2w) | 2w x 128 | 590,336 |
 * | 5-8 | Upsample x2, Conv3x3 pad 1 2w->w, IN, ReLU | w x 256 | 73,792 |
 * | 9-10 | Conv3x3 pad 1 w->1, Tanh | 1 x 256 | 577 |
 *
 * 665,985 parameters each at w = 64, so a high-low-high generator has
 * 1,331,970 (a tenth of the U-Net's 13,611,073).
 *
 * The low-resolution discriminator judges half-size images: Conv4x4 s2 1->w
 * LReLU, Conv4x4 s2 w->2w IN LReLU, Conv3x3 pad 1 2w->1, a patch map of
 * side/8 (133,441 parameters at w = 64).
 */
import { nn, type Tensor } from '../../engine/index.js';
import { instanceNorm2d, ResidualBlock } from '../blocks.js';
import type { Discriminator } from '../gan_base.js';

const conv3 = (cin: number, cout: number, stride = 1) => new nn.Conv2d(cin, cout, 3, { stride, padding: 1 });

export class Degrader extends nn.Module {
  readonly model: nn.Sequential;

  constructor(readonly width = 64) {
    super();
    const w = width;
    this.model = new nn.Sequential(
      conv3(1, w), instanceNorm2d(w), nn.LeakyReLU(0.2),
      conv3(w, 2 * w, 2), instanceNorm2d(2 * w), nn.LeakyReLU(0.2),
      new ResidualBlock(2 * w), new ResidualBlock(2 * w),
      conv3(2 * w, 1), nn.Tanh(),
    );
  }

  /** [N, 1, H, W] -> [N, 1, H/2, W/2] in (-1, 1). */
  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

export class Upgrader extends nn.Module {
  readonly model: nn.Sequential;

  constructor(readonly width = 64) {
    super();
    const w = width;
    this.model = new nn.Sequential(
      conv3(1, 2 * w), instanceNorm2d(2 * w), nn.ReLU(),
      new ResidualBlock(2 * w), new ResidualBlock(2 * w),
      nn.Upsample(2), conv3(2 * w, w), instanceNorm2d(w), nn.ReLU(),
      conv3(w, 1), nn.Tanh(),
    );
  }

  /** [N, 1, h, w] -> [N, 1, 2h, 2w] in (-1, 1). */
  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

/**
 * One direction's generator, a -> b: `degrader` (a at full size to b at half
 * size) then `upgrader` (b at half size to b at full size). The upgrader
 * belongs to the target contrast, so it also learns b from b's own
 * downsampled images (the model's paired 'upgrade' term).
 */
export class HighLowHigh extends nn.Module {
  readonly degrader: Degrader;
  readonly upgrader: Upgrader;

  constructor(width = 64) {
    super();
    this.degrader = new Degrader(width);
    this.upgrader = new Upgrader(width);
  }

  /** [N, 1, H, W], H and W multiples of 8 -> [N, 1, H, W]. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== 1 || x.shape[2]! % 8 || x.shape[3]! % 8) {
      throw new Error(`HighLowHigh: needs [N, 1, H, W] with H, W multiples of 8, got ${x}`);
    }
    return this.upgrader.forward(this.degrader.forward(x));
  }
}

export class LowDiscriminator extends nn.Module implements Discriminator {
  readonly model: nn.Sequential;

  constructor(readonly width = 64) {
    super();
    const w = width;
    this.model = new nn.Sequential(
      new nn.Conv2d(1, w, 4, { stride: 2, padding: 1 }), nn.LeakyReLU(0.2),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1 }), instanceNorm2d(2 * w), nn.LeakyReLU(0.2),
      conv3(2 * w, 1),
    );
  }

  /** [N, 1, h, w] -> a patch map [N, 1, h/4, w/4]. */
  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }

  judge(x: Tensor, input: (x: Tensor) => Tensor = (t) => t): Tensor[] {
    return [this.forward(input(x))];
  }
}
