/**
 * The original CycleGAN generator (Zhu et al. 2017; junyanz/pytorch-CycleGAN-
 * and-pix2pix `ResnetGenerator`, InstanceNorm, no dropout), 1 -> 1 channel,
 * offered beside the reference's U-Net. One Sequential, keys model.<i>.*:
 *
 * | index | layers | output at 256, width w = 64 |
 * |---|---|---|
 * | 0-3 | ReflPad3, Conv7x7 1->w, IN, ReLU | w x 256 |
 * | 4-9 | 2x [Conv3x3 s2 pad 1, IN, ReLU]: w->2w->4w | 4w x 64 |
 * | 10-18 | 9 residual blocks (ReflPad1 Conv3x3 IN ReLU ReflPad1 Conv3x3 IN, + x) | 4w x 64 |
 * | 19-24 | 2x [ConvT3x3 s2 pad 1 outpad 1, IN, ReLU]: 4w->2w->w | w x 256 |
 * | 25-27 | ReflPad3, Conv7x7 w->1, Tanh | 1 x 256 |
 *
 * 11,365,633 parameters at w = 64. Input sides must be multiples of 4.
 */
import { nn, type Tensor } from '../../engine/index.js';
import { instanceNorm2d, ResidualBlock } from '../blocks.js';

export class ResnetGenerator extends nn.Module {
  readonly model: nn.Sequential;

  constructor(
    readonly width = 64,
    readonly blocks = 9,
  ) {
    super();
    const w = width;
    const layers: nn.Module[] = [nn.ReflectionPad2d(3), new nn.Conv2d(1, w, 7), instanceNorm2d(w), nn.ReLU()];
    for (const c of [w, 2 * w]) {
      layers.push(new nn.Conv2d(c, 2 * c, 3, { stride: 2, padding: 1 }), instanceNorm2d(2 * c), nn.ReLU());
    }
    for (let i = 0; i < blocks; i++) layers.push(new ResidualBlock(4 * w));
    for (const c of [4 * w, 2 * w]) {
      layers.push(new nn.ConvTranspose2d(c, c / 2, 3, { stride: 2, padding: 1, outputPadding: 1 }), instanceNorm2d(c / 2), nn.ReLU());
    }
    layers.push(nn.ReflectionPad2d(3), new nn.Conv2d(w, 1, 7), nn.Tanh());
    this.model = new nn.Sequential(...layers);
  }

  /** x: [N, 1, H, W] with H and W multiples of 4 -> [N, 1, H, W] in (-1, 1). */
  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== 1 || x.shape[2]! % 4 || x.shape[3]! % 4) {
      throw new Error(`ResnetGenerator: needs [N, 1, H, W] with H, W multiples of 4, got ${x}`);
    }
    return this.model.forward(x);
  }
}
