/**
 * MUNIT (Huang et al. 2018) as FedMed-GAN trains it (arch_centralized/munit.py):
 * per-domain encoders (content c, style s) and decoders, multi-scale
 * least-squares discriminators. Random styles r_a, r_b ~ N(0, 1), [N, 8, 1, 1].
 *
 * G: L = LS(D_a(fake_a), 1) + LS(D_b(fake_b), 1)   (each summed over its 3 scales)
 *      + 1 (|s_ba - r_a| + |s_ab - r_b|) + 1 (|c_ab - c_a| + |c_ba - c_b|)   (content targets detached)
 *      + 10 (|cycle_a - a| + |cycle_b - b|) + 10 (|recon_a - a| + |recon_b - b|)
 *   with fake_a = dec_a(c_b, r_a), (c_ba, s_ba) = E_a(fake_a), cycle_a = dec_a(c_ab, s_a),
 *   recon_a = dec_a(c_a, s_a) (and the same with a and b swapped).
 *   'reference' identity replaces the reconstruction term, which the code lacks, by
 *   its base class's 10 (|fake_b - recon_a| + |fake_a - recon_b|).
 * D: LS(D_a(a), 1) + LS(D_a(fake_a), 0) + the same for D_b.
 *
 * The code draws the style loss's targets afresh (unrelated to the styles the
 * fakes were made with); here they are the same r_a, r_b, as in MUNIT.
 */
import { add, zeros, type Tensor } from '../../engine/index.js';
import { detach, GanBase, lsganDiscriminatorLoss, type GeneratorLossParts, type LossParts } from '../gan_base.js';
import type { Batch, Direction, ResolvedOptions } from '../gan_model.js';
import { l1, lsgan, weightedSum } from '../losses.js';
import { MunitDecoder } from './decoder.js';
import { MultiScaleDiscriminator } from './discriminator.js';
import { MunitEncoder, styleDim } from './encoder.js';

type Generators = {
  encoderA: MunitEncoder;
  encoderB: MunitEncoder;
  decoderA: MunitDecoder;
  decoderB: MunitDecoder;
};

type Discriminators = {
  discriminatorA: MultiScaleDiscriminator;
  discriminatorB: MultiScaleDiscriminator;
};

export class Munit extends GanBase<Generators, Discriminators> {
  constructor(options: ResolvedOptions) {
    const w = options.width;
    super(
      'munit',
      options,
      { encoderA: new MunitEncoder(w), encoderB: new MunitEncoder(w), decoderA: new MunitDecoder(w), decoderB: new MunitDecoder(w) },
      { discriminatorA: new MultiScaleDiscriminator(w), discriminatorB: new MultiScaleDiscriminator(w) },
    );
  }

  protected generatorLoss({ a, b }: Batch, input: (x: Tensor) => Tensor): GeneratorLossParts {
    const { encoderA, encoderB, decoderA, decoderB } = this.g;
    const { discriminatorA: dA, discriminatorB: dB } = this.d;
    const weights = this.options.weights;
    const n = a.shape[0]!;
    const codeA = encoderA.encode(a);
    const codeB = encoderB.encode(b);
    const reconA = decoderA.forward(codeA.content, codeA.style);
    const reconB = decoderB.forward(codeB.content, codeB.style);
    const randomA = this.noise([n, styleDim, 1, 1]);
    const randomB = this.noise([n, styleDim, 1, 1]);
    const fakeA = decoderA.forward(codeB.content, randomA);
    const fakeB = decoderB.forward(codeA.content, randomB);
    const codeBA = encoderA.encode(fakeA);
    const codeAB = encoderB.encode(fakeB);
    const terms: Record<string, Tensor> = {
      gan: add(lsgan(dA.judge(fakeA, input), 1), lsgan(dB.judge(fakeB, input), 1)),
      style: add(l1(codeBA.style, randomA), l1(codeAB.style, randomB)),
      content: add(l1(codeAB.content, detach(codeA.content)), l1(codeBA.content, detach(codeB.content))),
      cycle: add(l1(decoderA.forward(codeAB.content, codeA.style), a), l1(decoderB.forward(codeBA.content, codeB.style), b)),
    };
    if (this.options.identity === 'standard') terms.recon = add(l1(reconA, a), l1(reconB, b));
    else terms.identity = add(l1(fakeB, reconA), l1(fakeA, reconB));
    const total = weightedSum([
      [weights.gan, terms.gan!],
      [weights.style, terms.style!],
      [weights.content, terms.content!],
      [weights.cycle, terms.cycle!],
      terms.recon ? [weights.recon, terms.recon] : [weights.identity, terms.identity!],
    ]);
    return { terms, total, fakes: { a: fakeA, b: fakeB } };
  }

  protected discriminatorLoss(batch: Batch, fakes: Batch): LossParts {
    return lsganDiscriminatorLoss(this.d.discriminatorA, this.d.discriminatorB, batch, fakes, 1);
  }

  /** Deterministic: the target domain's decoder with style code 0, the prior's mean. */
  protected translateImages(x: Tensor, direction: Direction): Tensor {
    const { encoderA, encoderB, decoderA, decoderB } = this.g;
    const style = zeros([x.shape[0]!, styleDim, 1, 1]);
    return direction === 'a2b' ? decoderB.forward(encoderA.forward(x), style) : decoderA.forward(encoderB.forward(x), style);
  }
}
