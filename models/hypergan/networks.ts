/**
 * Hyper-GAN's networks (Yang, Sun, Yang, Xu, MICCAI 2021, "A unified
 * Hyper-GAN model for unpaired multi-contrast MR image translation"; DESIGN.md,
 * Models, lists what is ours). One generator serves every pair of contrasts:
 * a hyper-encoder whose filters come from the source contrast's code, a
 * backbone shared by all contrasts (the ResNet CycleGAN generator's middle),
 * and a hyper-decoder whose filters come from the target contrast's code.
 * C = 5 codes (T1, T2, PD, FLAIR, T1CE), so a hyper layer holds 6 filter sets.
 *
 * | key | layers | output at 256 | parameters (w = 64) |
 * |---|---|---|---|
 * | encoder.conv0 | Hyper 7x7 reflect-pad 3 1->w, IN, ReLU | w x 256 | 19,200 |
 * | encoder.conv1 | Hyper 3x3 s2 pad 1 w->2w, IN, ReLU | 2w x 128 | 443,136 |
 * | backbone.model.0 | Conv3x3 s2 pad 1 2w->4w, IN, ReLU | 4w x 64 | 295,168 |
 * | backbone.model.3-11 | 9 residual blocks (4w) | 4w x 64 | 10,621,440 |
 * | backbone.model.12 | ConvT3x3 s2 pad 1 outpad 1 4w->2w, IN, ReLU | 2w x 128 | 295,040 |
 * | decoder.conv0 | nearest x2, Hyper 3x3 pad 1 2w->w, IN, ReLU | w x 256 | 442,752 |
 * | decoder.conv1 | Hyper 7x7 reflect-pad 3 w->1, Tanh | 1 x 256 | 18,822 |
 *
 * 12,135,558 parameters at w = 64. Sides must be multiples of 4.
 *
 * The discriminator (StarGAN's shape, as the issue describes the paper's; the
 * authors' code has one per contrast instead, DESIGN.md says more): one network
 * for every contrast, an adversarial head and an auxiliary contrast classifier
 * on a shared trunk:
 * | key | layers | output at 256 | parameters (w = 64) |
 * |---|---|---|---|
 * | model.0 | Conv4x4 s2 pad 1 1->w, LReLU 0.2 | w x 128 | 1,088 |
 * | model.2 | Conv4x4 s2 pad 1 w->2w, IN, LReLU | 2w x 64 | 131,200 |
 * | model.5 | Conv4x4 s2 pad 1 2w->4w, IN, LReLU | 4w x 32 | 524,544 |
 * | adv | Conv3x3 pad 1 4w->1: the LSGAN patch map | 1 x 32 | 2,305 |
 * | cls | Conv3x3 pad 1 4w->C, averaged over the map: contrast logits | C | 11,525 |
 *
 * 670,662 parameters at w = 64. Sides must be multiples of 8.
 */
import { mean, nn, reshape, tanh, tensor, upsampleNearest, type Tensor } from '../../engine/index.js';
import { contrasts } from '../../data/contrasts.js';
import { instanceNorm2d, ResidualBlock } from '../blocks.js';
import type { Discriminator } from '../gan_base.js';
import { HyperConv2d } from './hyper_conv.js';

/** Codes the hyper layers know: every contrast of data/contrasts.ts (T1, T2, PD, FLAIR, T1CE), in its order. */
export const CODE_SIZE = contrasts.length;

/** One-hot codes [N, C] for contrast indices (one per sample). */
export function contrastCodes(indices: readonly number[], codeSize: number = CODE_SIZE): Tensor {
  const values = new Float32Array(indices.length * codeSize);
  indices.forEach((k, n) => {
    if (!(Number.isInteger(k) && k >= 0 && k < codeSize)) throw new Error(`contrastCodes: contrast index ${k} is not in [0, ${codeSize})`);
    values[n * codeSize + k] = 1;
  });
  return tensor(values, [indices.length, codeSize]);
}

const norm = instanceNorm2d;

/** Source contrast's code -> features: [N, 1, H, W] -> [N, 2w, H/2, W/2]. */
export class HyperEncoder extends nn.Module {
  readonly conv0: HyperConv2d;
  readonly conv1: HyperConv2d;
  private readonly norm0: nn.InstanceNorm2d;
  private readonly norm1: nn.InstanceNorm2d;

  constructor(readonly width = 64, codeSize = CODE_SIZE) {
    super();
    const w = width;
    this.conv0 = new HyperConv2d(codeSize, 1, w, 7, { padding: 3, padMode: 'reflect' });
    this.conv1 = new HyperConv2d(codeSize, w, 2 * w, 3, { stride: 2, padding: 1 });
    this.norm0 = norm(w);
    this.norm1 = norm(2 * w);
  }

  forward(x: Tensor, code?: Tensor): Tensor {
    const h = this.norm0.forward(this.conv0.forward(x, code), { activation: 'relu' });
    return this.norm1.forward(this.conv1.forward(h, code), { activation: 'relu' });
  }
}

/** The contrast-shared middle: [N, 2w, h, w] -> [N, 2w, h, w] through 4w channels at half that side. */
export class SharedBackbone extends nn.Module {
  readonly model: nn.Sequential;

  constructor(readonly width = 64, blocks = 9) {
    super();
    const w = width;
    const layers: nn.Module[] = [new nn.Conv2d(2 * w, 4 * w, 3, { stride: 2, padding: 1 }), norm(4 * w), nn.ReLU()];
    for (let i = 0; i < blocks; i++) layers.push(new ResidualBlock(4 * w));
    layers.push(new nn.ConvTranspose2d(4 * w, 2 * w, 3, { stride: 2, padding: 1, outputPadding: 1 }), norm(2 * w), nn.ReLU());
    this.model = new nn.Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

/** Features and the target contrast's code -> image: [N, 2w, H/2, W/2] -> [N, 1, H, W] in (-1, 1). */
export class HyperDecoder extends nn.Module {
  readonly conv0: HyperConv2d;
  readonly conv1: HyperConv2d;
  private readonly norm0: nn.InstanceNorm2d;

  constructor(readonly width = 64, codeSize = CODE_SIZE) {
    super();
    const w = width;
    this.conv0 = new HyperConv2d(codeSize, 2 * w, w, 3, { padding: 1 });
    this.conv1 = new HyperConv2d(codeSize, w, 1, 7, { padding: 3, padMode: 'reflect' });
    this.norm0 = norm(w);
  }

  forward(x: Tensor, code?: Tensor): Tensor {
    const h = this.norm0.forward(this.conv0.forward(upsampleNearest(x, 2), code), { activation: 'relu' });
    return tanh(this.conv1.forward(h, code));
  }
}

/** The one generator: x of the contrasts in `source` [N, C] to the contrasts in `target` [N, C]. */
export class HyperGenerator extends nn.Module {
  readonly encoder: HyperEncoder;
  readonly backbone: SharedBackbone;
  readonly decoder: HyperDecoder;

  constructor(readonly width = 64, codeSize = CODE_SIZE) {
    super();
    this.encoder = new HyperEncoder(width, codeSize);
    this.backbone = new SharedBackbone(width);
    this.decoder = new HyperDecoder(width, codeSize);
  }

  /** [N, 1, H, W], H and W multiples of 4, with codes [N, C] each -> [N, 1, H, W]. */
  forward(x: Tensor, source?: Tensor, target?: Tensor): Tensor {
    return this.decode(this.encode(x, source), target);
  }

  /** Into the common feature space, [N, 2w, H/2, W/2]: the hyper-encoder's output, which the shared backbone takes. */
  encode(x: Tensor, source?: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== 1 || x.shape[2]! % 4 || x.shape[3]! % 4) {
      throw new Error(`HyperGenerator: needs [N, 1, H, W] with H, W multiples of 4, got ${x}`);
    }
    return this.encoder.forward(x, source);
  }

  /** From the common feature space to the target contrast: the backbone, then the hyper-decoder. */
  decode(h: Tensor, target?: Tensor): Tensor {
    return this.decoder.forward(this.backbone.forward(h), target);
  }
}

/** What the discriminator says of a batch: the LSGAN patch map and the contrast logits. */
export interface Judgement {
  adv: Tensor;
  /** [N, C]. */
  logits: Tensor;
}

export class ContrastDiscriminator extends nn.Module implements Discriminator {
  readonly model: nn.Sequential;
  readonly adv: nn.Conv2d;
  readonly cls: nn.Conv2d;

  constructor(readonly width = 64, readonly codeSize = CODE_SIZE) {
    super();
    const w = width;
    this.model = new nn.Sequential(
      new nn.Conv2d(1, w, 4, { stride: 2, padding: 1 }), nn.LeakyReLU(0.2),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1 }), norm(2 * w), nn.LeakyReLU(0.2),
      new nn.Conv2d(2 * w, 4 * w, 4, { stride: 2, padding: 1 }), norm(4 * w), nn.LeakyReLU(0.2),
    );
    this.adv = new nn.Conv2d(4 * w, 1, 3, { padding: 1 });
    this.cls = new nn.Conv2d(4 * w, codeSize, 3, { padding: 1 });
  }

  /** Both heads on one trunk pass; `input` first wraps the image (the DP hooks). */
  both(x: Tensor, input: (x: Tensor) => Tensor = (t) => t): Judgement {
    const h = this.model.forward(input(x));
    return { adv: this.adv.forward(h), logits: reshape(mean(this.cls.forward(h), [2, 3]), [x.shape[0]!, this.codeSize]) };
  }

  /** The patch map [N, 1, H/8, W/8]. */
  forward(x: Tensor): Tensor {
    return this.both(x).adv;
  }

  judge(x: Tensor, input?: (x: Tensor) => Tensor): Tensor[] {
    return [this.both(x, input).adv];
  }
}
