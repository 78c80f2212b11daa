/**
 * CycleGAN (DESIGN.md, "The reference code", Training step): two generators, G_ab and G_ba, and
 * two least-squares discriminators, D_a and D_b (the reference's
 * discriminator_from_b_to_a and discriminator_from_a_to_b: each judges the
 * domain a generator writes into).
 *
 * G: L = LS(D_b(G_ab(a)), 1) + LS(D_a(G_ba(b)), 1)
 *      + 10 (|G_ba(G_ab(a)) - a| + |G_ab(G_ba(b)) - b|) + identity,
 *    identity 'standard': 5 (|G_ab(b) - b| + |G_ba(a) - a|);
 *    'reference': 10 (|G_ba(fake_a) - fake_a| + |G_ab(fake_b) - fake_b|).
 * D: 0.5 [LS(D_a(a), 1) + LS(D_a(fake_a), 0)] + the same for D_b, fakes detached.
 * With options.discriminators = K > 1, each D is K discriminators whose scores
 * are averaged before every loss (AveragedDiscriminator).
 */
import { add, type nn, type Tensor } from '../../engine/index.js';
import { GanBase, lsganDiscriminatorLoss, type Discriminator, type GeneratorLossParts, type LossParts } from '../gan_base.js';
import type { Batch, Direction, ResolvedOptions } from '../gan_model.js';
import { l1, lsgan, weightedSum } from '../losses.js';
import { AveragedDiscriminator, CycleDiscriminator } from './discriminator.js';
import { ResnetGenerator } from './generator_resnet.js';
import { UNetGenerator } from './generator_unet.js';

export type CycleGenerator = 'unet' | 'resnet';

export type Generators = {
  generatorAB: nn.Module;
  generatorBA: nn.Module;
};

type Discriminators = {
  discriminatorA: CycleDiscriminator | AveragedDiscriminator;
  discriminatorB: CycleDiscriminator | AveragedDiscriminator;
};

/** One discriminator, or `count` of them with their scores averaged (the paper's Tables 5-6). */
function discriminator(width: number, count: number): CycleDiscriminator | AveragedDiscriminator {
  return count === 1 ? new CycleDiscriminator(width) : new AveragedDiscriminator(width, count);
}

function generator(kind: CycleGenerator, width: number): nn.Module {
  return kind === 'unet' ? new UNetGenerator(width) : new ResnetGenerator(width);
}

/**
 * CycleGAN's generator terms for translations already made (fakes.b =
 * G_ab(a), fakes.a = G_ba(b)): gan, cycle and, unless its weight is 0, the
 * identity term, each with its weight. HLHGAN adds its own terms to these.
 */
export function cycleGanTerms(
  g: Generators,
  d: Readonly<Record<'discriminatorA' | 'discriminatorB', Discriminator>>,
  { weights, identity }: ResolvedOptions,
  { a, b }: Batch,
  fakes: Batch,
  input: (x: Tensor) => Tensor,
): { terms: Record<string, Tensor>; weighted: [number, Tensor][] } {
  const { generatorAB: gAB, generatorBA: gBA } = g;
  const terms: Record<string, Tensor> = {
    gan: add(lsgan(d.discriminatorB.judge(fakes.b, input), 1), lsgan(d.discriminatorA.judge(fakes.a, input), 1)),
    cycle: add(l1(gBA.forward(fakes.b), a), l1(gAB.forward(fakes.a), b)),
  };
  const weighted: [number, Tensor][] = [
    [weights.gan, terms.gan!],
    [weights.cycle, terms.cycle!],
  ];
  if (weights.identity > 0) {
    terms.identity =
      identity === 'standard'
        ? add(l1(gAB.forward(b), b), l1(gBA.forward(a), a))
        : add(l1(gBA.forward(fakes.a), fakes.a), l1(gAB.forward(fakes.b), fakes.b));
    weighted.push([weights.identity, terms.identity]);
  }
  return { terms, weighted };
}

export class CycleGan extends GanBase<Generators, Discriminators> {
  constructor(options: ResolvedOptions, kind: CycleGenerator = 'unet') {
    super(
      kind === 'unet' ? 'cyclegan' : 'cyclegan-resnet',
      options,
      { generatorAB: generator(kind, options.width), generatorBA: generator(kind, options.width) },
      { discriminatorA: discriminator(options.width, options.discriminators), discriminatorB: discriminator(options.width, options.discriminators) },
    );
  }

  protected generatorLoss(batch: Batch, input: (x: Tensor) => Tensor): GeneratorLossParts {
    const fakes = { b: this.g.generatorAB.forward(batch.a), a: this.g.generatorBA.forward(batch.b) };
    const { terms, weighted } = cycleGanTerms(this.g, this.d, this.options, batch, fakes, input);
    return { terms, total: weightedSum(weighted), fakes };
  }

  protected discriminatorLoss(batch: Batch, fakes: Batch): LossParts {
    return lsganDiscriminatorLoss(this.d.discriminatorA, this.d.discriminatorB, batch, fakes, 0.5);
  }

  protected translateImages(x: Tensor, direction: Direction): Tensor {
    return (direction === 'a2b' ? this.g.generatorAB : this.g.generatorBA).forward(x);
  }
}
