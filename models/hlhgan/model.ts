/**
 * HLHGAN: CycleGAN's two translations, each a high -> low -> high generator
 * (networks.ts), judged at both resolutions. DESIGN.md (Models) lists where
 * this departs from Huang et al. 2020b.
 *
 * G: L = CycleGAN's terms (gan on the full-size translations, 10 cycle,
 *        identity) with G_ab = U_b . H_ab and G_ba = U_a . H_ba
 *      + LS(DL_b(H_ab(a)), 1) + LS(DL_a(H_ba(b)), 1)          (ganLow)
 *      + 10 (|U_b(pool(b)) - b| + |U_a(pool(a)) - a|)          (upgrade)
 *    pool: 2x2 average pooling, the known degradation the upgraders learn
 *    to invert from real images (the paired half of high-low-high).
 * D: CycleGAN's 0.5 [LS(D(real), 1) + LS(D(fake), 0)] for D_a and D_b, and
 *    the same for DL_a and DL_b on pool(real) and the degraders' outputs.
 */
import { add, avgPool2d, noGrad, type Tensor } from '../../engine/index.js';
import { CycleDiscriminator } from '../cyclegan/discriminator.js';
import { cycleGanTerms } from '../cyclegan/model.js';
import { GanBase, lsganDiscriminatorLoss, type GeneratorLossParts, type LossParts } from '../gan_base.js';
import type { Batch, Direction, ResolvedOptions } from '../gan_model.js';
import { l1, lsgan, weightedSum } from '../losses.js';
import { HighLowHigh, LowDiscriminator } from './networks.js';

type Generators = {
  generatorAB: HighLowHigh;
  generatorBA: HighLowHigh;
};

type Discriminators = {
  discriminatorA: CycleDiscriminator;
  discriminatorB: CycleDiscriminator;
  discriminatorLowA: LowDiscriminator;
  discriminatorLowB: LowDiscriminator;
};

/** The degradation whose inverse each upgrader learns from real images: 2x2 means. */
const pool = (x: Tensor) => avgPool2d(x, 2);

export class Hlhgan extends GanBase<Generators, Discriminators> {
  constructor(options: ResolvedOptions) {
    const w = options.width;
    super(
      'hlhgan',
      options,
      { generatorAB: new HighLowHigh(w), generatorBA: new HighLowHigh(w) },
      {
        discriminatorA: new CycleDiscriminator(w),
        discriminatorB: new CycleDiscriminator(w),
        discriminatorLowA: new LowDiscriminator(w),
        discriminatorLowB: new LowDiscriminator(w),
      },
    );
  }

  protected generatorLoss(batch: Batch, input: (x: Tensor) => Tensor): GeneratorLossParts {
    const { generatorAB: gAB, generatorBA: gBA } = this.g;
    const { discriminatorLowA: dlA, discriminatorLowB: dlB } = this.d;
    const weights = this.options.weights;
    const lowB = gAB.degrader.forward(batch.a);
    const lowA = gBA.degrader.forward(batch.b);
    const fakes = { b: gAB.upgrader.forward(lowB), a: gBA.upgrader.forward(lowA) };
    const { terms, weighted } = cycleGanTerms(this.g, this.d, this.options, batch, fakes, input);
    terms.ganLow = add(lsgan(dlB.judge(lowB, input), 1), lsgan(dlA.judge(lowA, input), 1));
    terms.upgrade = add(l1(gAB.upgrader.forward(pool(batch.b)), batch.b), l1(gBA.upgrader.forward(pool(batch.a)), batch.a));
    const total = weightedSum([...weighted, [weights.gan, terms.ganLow], [weights.recon, terms.upgrade]]);
    return { terms, total, fakes };
  }

  /** The low-resolution fakes are made again here, off the tape: GanBase hands over only the full-size ones. */
  protected discriminatorLoss(batch: Batch, fakes: Batch): LossParts {
    const { discriminatorA: dA, discriminatorB: dB, discriminatorLowA: dlA, discriminatorLowB: dlB } = this.d;
    const lowFakes = noGrad(() => ({ a: this.g.generatorBA.degrader.forward(batch.b), b: this.g.generatorAB.degrader.forward(batch.a) }));
    const high = lsganDiscriminatorLoss(dA, dB, batch, fakes, 0.5);
    const low = lsganDiscriminatorLoss(dlA, dlB, { a: pool(batch.a), b: pool(batch.b) }, lowFakes, 0.5);
    return {
      terms: {
        discriminatorReal: add(high.terms.discriminatorReal!, low.terms.discriminatorReal!),
        discriminatorFake: add(high.terms.discriminatorFake!, low.terms.discriminatorFake!),
      },
      total: add(high.total, low.total),
    };
  }

  protected translateImages(x: Tensor, direction: Direction): Tensor {
    return (direction === 'a2b' ? this.g.generatorAB : this.g.generatorBA).forward(x);
  }
}
