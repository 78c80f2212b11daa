/**
 * UNIT's networks (DESIGN.md, "The reference code", Models; keys as the reference's
 * model/unit/unit.py). Width w = 64 in the paper; codes are 4w x H/4 x W/4.
 *
 * Encoder (5,379,584 parameters at w = 64 with the shared block):
 * | key | layers | output at 256 |
 * |---|---|---|
 * | model_blocks.0-3 | ReflPad3, Conv7x7 1->w, IN, LReLU 0.2 | w x 256 |
 * | model_blocks.4-9 | 2x [Conv4x4 s2, IN, ReLU]: w->2w->4w | 4w x 64 |
 * | model_blocks.10-12 | 3 residual blocks | 4w x 64 |
 * | shared_block | a residual block shared by both encoders: mu | 4w x 64 |
 *
 * Decoder, the reference's Generator (5,379,329 with its shared block):
 * | key | layers | output at 256 |
 * |---|---|---|
 * | shared_block | a residual block shared by both decoders | 4w x 64 |
 * | model_blocks.0-2 | 3 residual blocks | 4w x 64 |
 * | model_blocks.3-8 | 2x [ConvT4x4 s2, IN, LReLU 0.2]: 4w->2w->w | w x 256 |
 * | model_blocks.9-11 | ReflPad3, Conv7x7 w->1, Tanh | 1 x 256 |
 *
 * Discriminator (2,759,105): the PatchGAN stack (models.0, 2, 5, 8) and
 * cnv.0, Conv3x3 pad 1 8w->1: a 16x16 map at 256.
 */
import { nn, type Tensor } from '../../engine/index.js';
import { instanceNorm2d, patchLayers, ResidualBlock } from '../blocks.js';
import type { Discriminator } from '../gan_base.js';

export class UnitEncoder extends nn.Module {
  readonly model_blocks: nn.Sequential;
  readonly shared_block: ResidualBlock;

  constructor(width: number, sharedBlock: ResidualBlock) {
    super();
    const layers: nn.Module[] = [nn.ReflectionPad2d(3), new nn.Conv2d(1, width, 7), instanceNorm2d(width), nn.LeakyReLU(0.2)];
    for (const c of [width, 2 * width]) {
      layers.push(new nn.Conv2d(c, 2 * c, 4, { stride: 2, padding: 1 }), instanceNorm2d(2 * c), nn.ReLU());
    }
    for (let i = 0; i < 3; i++) layers.push(new ResidualBlock(4 * width));
    this.model_blocks = new nn.Sequential(...layers);
    this.shared_block = sharedBlock;
  }

  /** x: [N, 1, H, W] -> mu: [N, 4w, H/4, W/4]; the latent code is mu + N(0, 1) noise. */
  forward(x: Tensor): Tensor {
    return this.shared_block.forward(this.model_blocks.forward(x));
  }
}

export class UnitDecoder extends nn.Module {
  readonly shared_block: ResidualBlock;
  readonly model_blocks: nn.Sequential;

  constructor(width: number, sharedBlock: ResidualBlock) {
    super();
    this.shared_block = sharedBlock;
    const layers: nn.Module[] = [];
    for (let i = 0; i < 3; i++) layers.push(new ResidualBlock(4 * width));
    for (const c of [4 * width, 2 * width]) {
      layers.push(new nn.ConvTranspose2d(c, c / 2, 4, { stride: 2, padding: 1 }), instanceNorm2d(c / 2), nn.LeakyReLU(0.2));
    }
    layers.push(nn.ReflectionPad2d(3), new nn.Conv2d(width, 1, 7), nn.Tanh());
    this.model_blocks = new nn.Sequential(...layers);
  }

  /** z: [N, 4w, h, w] -> [N, 1, 4h, 4w] in (-1, 1). */
  forward(z: Tensor): Tensor {
    return this.model_blocks.forward(this.shared_block.forward(z));
  }
}

export class UnitDiscriminator extends nn.Module implements Discriminator {
  readonly models: nn.Sequential;
  readonly cnv: nn.Sequential;

  constructor(width: number) {
    super();
    this.models = patchLayers(width);
    this.cnv = new nn.Sequential(new nn.Conv2d(8 * width, 1, 3, { padding: 1 }));
  }

  /** x: [N, 1, H, W] -> a patch map [N, 1, H/16, W/16]. */
  forward(x: Tensor): Tensor {
    return this.cnv.forward(this.models.forward(x));
  }

  judge(x: Tensor, input: (x: Tensor) => Tensor = (t) => t): Tensor[] {
    return [this.forward(input(x))];
  }
}
