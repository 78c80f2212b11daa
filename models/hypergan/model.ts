/**
 * Hyper-GAN: one generator G(x, s, t) for every pair of contrasts, its hyper
 * layers conditioned on the one-hot codes of the source s and target t, and
 * one discriminator D with an adversarial head and a contrast classifier
 * (networks.ts). A batch holds images a of contrast s and b of contrast t:
 * the model's own pair (options.contrasts) or the batch's (batch.contrasts).
 * DESIGN.md (Models) lists where this departs from Yang et al. 2021.
 *
 * With G(x, s, t) = dec(enc(x, s), t), fake_b = G(a, s, t), fake_a = G(b, t, s):
 * G: L = LS(D(fake_b), 1) + LS(D(fake_a), 1)                                  (gan)
 *      + contrast (CE(D_cls(fake_b), t) + CE(D_cls(fake_a), s))               (contrast)
 *      + cycle (|G(fake_b, t, s) - a| + |G(fake_a, s, t) - b|)                (cycle)
 *      + common (|enc(a, s) - enc(fake_b, t)| + |enc(b, t) - enc(fake_a, s)|) (common)
 *      + identity (|dec(enc(a, s), s) - a| + |dec(enc(b, t), t) - b|)          (identity)
 * D: 0.5 [LS(D(a), 1) + LS(D(b), 1) + LS(D(fake_a), 0) + LS(D(fake_b), 0)]
 *      + contrast (CE(D_cls(a), s) + CE(D_cls(b), t)), fakes detached.
 */
import { add, mul, noGrad, tidy, type Tensor } from '../../engine/index.js';
import { contrastOf, contrasts } from '../../data/contrasts.js';
import { GanBase, type GeneratorLossParts, type LossParts } from '../gan_base.js';
import type { Batch, Direction, ResolvedOptions } from '../gan_model.js';
import { crossEntropy, l1, lsgan, weightedSum } from '../losses.js';
import { ContrastDiscriminator, contrastCodes, HyperGenerator } from './networks.js';

type Generators = { generator: HyperGenerator };
type Discriminators = { discriminator: ContrastDiscriminator };

/** The code index of each of a pair of contrast names, in data/contrasts.ts's order. */
function codeIndices(pair: readonly [string, string], where: string): [number, number] {
  const [s, t] = pair.map((name) => contrasts.indexOf(contrastOf(name, where)));
  if (s === t) throw new Error(`${where}: a pair of two different contrasts, got ${pair[0]} twice`);
  return [s!, t!];
}

export class HyperGan extends GanBase<Generators, Discriminators> {
  /** Code indices of domains a and b. */
  private readonly pair: [number, number];

  constructor(options: ResolvedOptions) {
    super('hypergan', options, { generator: new HyperGenerator(options.width) }, { discriminator: new ContrastDiscriminator(options.width) });
    this.pair = codeIndices(options.contrasts, 'hypergan contrasts');
  }

  /** One-hot codes [N, C] of the batch's two contrasts. */
  private codes(batch: Batch): { s: Tensor; t: Tensor } {
    const [s, t] = batch.contrasts ? codeIndices(batch.contrasts, 'hypergan batch.contrasts') : this.pair;
    const n = batch.a.shape[0]!;
    return { s: contrastCodes(Array(n).fill(s)), t: contrastCodes(Array(n).fill(t)) };
  }

  protected generatorLoss(batch: Batch, input: (x: Tensor) => Tensor): GeneratorLossParts {
    const G = this.g.generator;
    const D = this.d.discriminator;
    const { weights } = this.options;
    const { a, b } = batch;
    const { s, t } = this.codes(batch);
    const [featuresA, featuresB] = [G.encode(a, s), G.encode(b, t)];
    const fakes = { b: G.decode(featuresA, t), a: G.decode(featuresB, s) };
    const [featuresFakeB, featuresFakeA] = [G.encode(fakes.b, t), G.encode(fakes.a, s)];
    const [onB, onA] = [D.both(fakes.b, input), D.both(fakes.a, input)];
    const terms: Record<string, Tensor> = {
      gan: add(lsgan([onB.adv], 1), lsgan([onA.adv], 1)),
      contrast: add(crossEntropy(onB.logits, t), crossEntropy(onA.logits, s)),
      cycle: add(l1(G.decode(featuresFakeB, s), a), l1(G.decode(featuresFakeA, t), b)),
      common: add(l1(featuresA, featuresFakeB), l1(featuresB, featuresFakeA)),
    };
    const weighted: [number, Tensor][] = [[weights.gan, terms.gan!], [weights.contrast, terms.contrast!], [weights.cycle, terms.cycle!], [weights.common, terms.common!]];
    if (weights.identity > 0) {
      terms.identity = add(l1(G.decode(featuresA, s), a), l1(G.decode(featuresB, t), b));
      weighted.push([weights.identity, terms.identity]);
    }
    return { terms, total: weightedSum(weighted), fakes };
  }

  protected discriminatorLoss(batch: Batch, fakes: Batch): LossParts {
    const D = this.d.discriminator;
    const { s, t } = this.codes(batch);
    const [realA, realB] = [D.both(batch.a), D.both(batch.b)];
    const real = add(lsgan([realA.adv], 1), lsgan([realB.adv], 1));
    const fake = add(lsgan(D.judge(fakes.a), 0), lsgan(D.judge(fakes.b), 0));
    const contrast = add(crossEntropy(realA.logits, s), crossEntropy(realB.logits, t));
    const total = add(mul(add(real, fake), 0.5), mul(contrast, this.options.weights.contrast));
    return { terms: { discriminatorReal: real, discriminatorFake: fake, discriminatorContrast: contrast }, total };
  }

  protected translateImages(x: Tensor, direction: Direction): Tensor {
    const [a, b] = this.pair;
    return direction === 'a2b' ? this.translateCodes(x, a, b) : this.translateCodes(x, b, a);
  }

  /** Inference between any two contrasts (data/contrasts.ts names), no tape: [N, 1, H, W]. The caller owns the result. */
  translateContrasts(x: Tensor, source: string, target: string): Tensor {
    const [s, t] = codeIndices([source, target], 'hypergan.translateContrasts');
    if (x.rank !== 4 || x.shape[1] !== 1) throw new Error(`hypergan.translateContrasts: needs [N, 1, H, W] images, got ${x}`);
    return noGrad(() => tidy(() => this.translateCodes(x, s, t)));
  }

  private translateCodes(x: Tensor, source: number, target: number): Tensor {
    const n = x.shape[0]!;
    return this.g.generator.forward(x, contrastCodes(Array(n).fill(source)), contrastCodes(Array(n).fill(target)));
  }
}
