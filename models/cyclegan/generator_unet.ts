/**
 * FedMed-GAN's CycleGAN generator: a U-Net, 1 -> 1 channel (DESIGN.md, "The reference code",
 * Models). Keys as the reference's CycleGen state_dict.
 *
 * | block | layers | output at 256, width w = 64 | parameters (w = 64) |
 * |---|---|---|---|
 * | down1 | Conv3x3 s2 1->w, IN, LReLU 0.2 | w x 128 | 640 |
 * | down2 | Conv3x3 s2 w->2w, IN, LReLU | 2w x 64 | 73,856 |
 * | down3 | Conv3x3 s2 2w->4w, IN, LReLU | 4w x 32 | 295,168 |
 * | down4 | Conv3x3 s2 4w->8w, IN, LReLU | 8w x 16 | 1,180,160 |
 * | down5 | Conv3x3 s2 8w->8w, IN, LReLU | 8w x 8 | 2,359,808 |
 * | up1 | ConvT4x4 s2 8w->8w, IN, ReLU | 8w x 16 | 4,194,816 |
 * | up2 | cat(up1, down4), ConvT 16w->4w, IN, ReLU | 4w x 32 | 4,194,560 |
 * | up3 | cat(up2, down3), ConvT 8w->2w, IN, ReLU | 2w x 64 | 1,048,704 |
 * | up4 | cat(up3, down2), ConvT 4w->w, IN, ReLU | w x 128 | 262,208 |
 * | final | cat(up4, down1), Upsample x2, Conv3x3 2w->1, Tanh | 1 x 256 | 1,153 |
 *
 * 13,611,073 parameters at w = 64. Input sides must be multiples of 32.
 */
import { cat, nn, type Tensor } from '../../engine/index.js';
import { instanceNorm2d } from '../blocks.js';

/** cat((upsampled, skip), 1): the reference's skip order, written once. */
function withSkip(x: Tensor, skip?: Tensor): Tensor {
  return skip ? cat([x, skip], 1) : x;
}

export class UNetDown extends nn.Module {
  readonly model: nn.Sequential;

  constructor(cin: number, cout: number) {
    super();
    this.model = new nn.Sequential(new nn.Conv2d(cin, cout, 3, { stride: 2, padding: 1 }), instanceNorm2d(cout), nn.LeakyReLU(0.2));
  }

  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

export class UNetUp extends nn.Module {
  readonly model: nn.Sequential;

  constructor(cin: number, cout: number) {
    super();
    this.model = new nn.Sequential(new nn.ConvTranspose2d(cin, cout, 4, { stride: 2, padding: 1 }), instanceNorm2d(cout), nn.ReLU());
  }

  forward(x: Tensor, skip?: Tensor): Tensor {
    return this.model.forward(withSkip(x, skip));
  }
}

/** The upsample sits at index 0, so the convolution's key is final.model.1.weight. */
export class UNetFinalLayer extends nn.Module {
  readonly model: nn.Sequential;

  constructor(cin: number, cout: number) {
    super();
    this.model = new nn.Sequential(nn.Upsample(2), new nn.Conv2d(cin, cout, 3, { padding: 1 }), nn.Tanh());
  }

  forward(x: Tensor, skip?: Tensor): Tensor {
    return this.model.forward(withSkip(x, skip));
  }
}

export class UNetGenerator extends nn.Module {
  readonly down1: UNetDown;
  readonly down2: UNetDown;
  readonly down3: UNetDown;
  readonly down4: UNetDown;
  readonly down5: UNetDown;
  readonly up1: UNetUp;
  readonly up2: UNetUp;
  readonly up3: UNetUp;
  readonly up4: UNetUp;
  readonly final: UNetFinalLayer;

  /** `width` is the first block's channel count (64 in the paper). */
  constructor(readonly width = 64) {
    super();
    const w = width;
    this.down1 = new UNetDown(1, w);
    this.down2 = new UNetDown(w, 2 * w);
    this.down3 = new UNetDown(2 * w, 4 * w);
    this.down4 = new UNetDown(4 * w, 8 * w);
    this.down5 = new UNetDown(8 * w, 8 * w);
    this.up1 = new UNetUp(8 * w, 8 * w);
    this.up2 = new UNetUp(16 * w, 4 * w);
    this.up3 = new UNetUp(8 * w, 2 * w);
    this.up4 = new UNetUp(4 * w, w);
    this.final = new UNetFinalLayer(2 * w, 1);
  }

  /** x: [N, 1, H, W] with H and W multiples of 32 -> [N, 1, H, W] in (-1, 1). */
  forward(x: Tensor): Tensor {
    const [h, w] = [x.shape[2]!, x.shape[3]!];
    if (x.rank !== 4 || x.shape[1] !== 1 || h % 32 || w % 32) {
      throw new Error(`UNetGenerator: needs [N, 1, H, W] with H, W multiples of 32, got ${x}`);
    }
    const d1 = this.down1.forward(x);
    const d2 = this.down2.forward(d1);
    const d3 = this.down3.forward(d2);
    const d4 = this.down4.forward(d3);
    const d5 = this.down5.forward(d4);
    const u1 = this.up1.forward(d5);
    const u2 = this.up2.forward(u1, d4);
    const u3 = this.up3.forward(u2, d3);
    const u4 = this.up4.forward(u3, d2);
    return this.final.forward(u4, d1);
  }
}
