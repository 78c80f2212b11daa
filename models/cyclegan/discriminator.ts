/**
 * FedMed-GAN's CycleGAN discriminator (DESIGN.md, "The reference code", Models), keys as the
 * reference's CycleDis without its unused auxiliary heads:
 *
 * | key | layers | output at 256, width w = 64 | parameters (w = 64) |
 * |---|---|---|---|
 * | model.0 | Conv4x4 s2 1->w, LReLU 0.2 (no norm) | w x 128 | 1,088 |
 * | model.2 | Conv4x4 s2 w->2w, IN, LReLU | 2w x 64 | 131,200 |
 * | model.5 | Conv4x4 s2 2w->4w, IN, LReLU | 4w x 32 | 524,544 |
 * | model.8 | Conv4x4 s1 4w->8w, IN, LReLU | 8w x 31 | 2,097,664 |
 * | fcn | Conv4x4 s1 8w->1, then the mean of the map | 1 x 30 -> one score | 8,193 |
 *
 * 2,762,689 parameters at w = 64. Inputs need at least 24 pixels a side.
 */
import { div, mean, nn, reshape, type Tensor } from '../../engine/index.js';
import { instanceNorm2d } from '../blocks.js';
import { sumAll } from '../losses.js';
import type { Discriminator } from '../gan_base.js';

export class CycleDiscriminator extends nn.Module implements Discriminator {
  readonly model: nn.Sequential;
  readonly fcn: nn.Conv2d;

  constructor(readonly width = 64) {
    super();
    const w = width;
    this.model = new nn.Sequential(
      new nn.Conv2d(1, w, 4, { stride: 2, padding: 1 }),
      nn.LeakyReLU(0.2),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1 }),
      instanceNorm2d(2 * w),
      nn.LeakyReLU(0.2),
      new nn.Conv2d(2 * w, 4 * w, 4, { stride: 2, padding: 1 }),
      instanceNorm2d(4 * w),
      nn.LeakyReLU(0.2),
      new nn.Conv2d(4 * w, 8 * w, 4, { padding: 1 }),
      instanceNorm2d(8 * w),
      nn.LeakyReLU(0.2),
    );
    this.fcn = new nn.Conv2d(8 * w, 1, 4, { padding: 1 });
  }

  /** x: [N, 1, H, W] -> [N, 1], the patch map's global average (F.avg_pool2d over the whole map). */
  forward(x: Tensor): Tensor {
    const patches = this.fcn.forward(this.model.forward(x));
    return reshape(mean(patches, [2, 3]), [x.shape[0]!, 1]);
  }

  /** One scale: [score [N, 1]]. */
  judge(x: Tensor, input: (x: Tensor) => Tensor = (t) => t): Tensor[] {
    return [this.forward(input(x))];
  }
}

/**
 * The paper's ablation (Tables 5-6, "Centralized + More Discriminators"): K
 * CycleGAN discriminators, K the federation's client count, whose scores
 * (logits) are averaged into the one score every loss sees, in training and
 * testing alike. Keys `heads.<k>.<CycleDiscriminator key>` (an nn.ModuleList),
 * k = 0 .. K-1, each initialised by its own draws.
 */
export class AveragedDiscriminator extends nn.Module implements Discriminator {
  readonly heads: CycleDiscriminator[];

  constructor(width: number, count: number) {
    super();
    this.heads = Array.from({ length: count }, () => new CycleDiscriminator(width));
  }

  /** x: [N, 1, H, W] -> [N, 1], the mean of the K scores. */
  forward(x: Tensor): Tensor {
    return div(sumAll(this.heads.map((d) => d.forward(x))), this.heads.length);
  }

  judge(x: Tensor, input: (x: Tensor) => Tensor = (t) => t): Tensor[] {
    return [this.forward(input(x))];
  }
}
