/**
 * UNIT (Liu et al. 2017) as FedMed-GAN trains it (arch_centralized/unit.py):
 * per-domain encoders E_a, E_b sharing their last residual block, per-domain
 * decoders sharing their first; z = mu + N(0, 1).
 *
 * G: L = LS(D_a(fake_a), 1) + LS(D_b(fake_b), 1)
 *      + 0.1 (KL(mu_a) + KL(mu_b)) + 0.1 (KL(mu_ba) + KL(mu_ab))
 *      + 10 (|recon_a - a| + |recon_b - b|) + 10 (|cycle_a - a| + |cycle_b - b|)
 *   with recon_a = dec_a(z_a), fake_b = dec_b(z_a), mu_ab = E_b(fake_b),
 *   cycle_a = dec_a(z_ab) (and the same with a and b swapped), KL(mu) = mean(mu^2).
 *   'reference' identity adds the code's 10 (|fake_b - recon_a| + |fake_a - recon_b|).
 * D: LS(D_a(a), 1) + LS(D_a(fake_a), 0) + the same for D_b (no factor 0.5, as the code).
 *
 * The reference's Discriminator.compute_loss iterates over the batch of its
 * single output map, so its GAN terms are N times the mean; here they are the
 * mean, as MUNIT's and CycleGAN's are.
 */
import { add, type Tensor } from '../../engine/index.js';
import { ResidualBlock } from '../blocks.js';
import { GanBase, lsganDiscriminatorLoss, type GeneratorLossParts, type LossParts } from '../gan_base.js';
import type { Batch, Direction, ResolvedOptions } from '../gan_model.js';
import { kl, l1, lsgan, weightedSum } from '../losses.js';
import { UnitDecoder, UnitDiscriminator, UnitEncoder } from './networks.js';

type Generators = {
  encoderA: UnitEncoder;
  encoderB: UnitEncoder;
  decoderA: UnitDecoder;
  decoderB: UnitDecoder;
};

type Discriminators = {
  discriminatorA: UnitDiscriminator;
  discriminatorB: UnitDiscriminator;
};

function networks(width: number): Generators {
  const sharedEncoder = new ResidualBlock(4 * width);
  const encoderA = new UnitEncoder(width, sharedEncoder);
  const encoderB = new UnitEncoder(width, sharedEncoder);
  const sharedDecoder = new ResidualBlock(4 * width);
  return { encoderA, encoderB, decoderA: new UnitDecoder(width, sharedDecoder), decoderB: new UnitDecoder(width, sharedDecoder) };
}

export class Unit extends GanBase<Generators, Discriminators> {
  constructor(options: ResolvedOptions) {
    super('unit', options, networks(options.width), {
      discriminatorA: new UnitDiscriminator(options.width),
      discriminatorB: new UnitDiscriminator(options.width),
    });
  }

  /** mu = E(x) and z = mu + N(0, 1). */
  private encode(encoder: UnitEncoder, x: Tensor): { mu: Tensor; z: Tensor } {
    const mu = encoder.forward(x);
    return { mu, z: add(mu, this.noise(mu.shape)) };
  }

  protected generatorLoss({ a, b }: Batch, input: (x: Tensor) => Tensor): GeneratorLossParts {
    const { encoderA, encoderB, decoderA, decoderB } = this.g;
    const { discriminatorA: dA, discriminatorB: dB } = this.d;
    const weights = this.options.weights;
    const codeA = this.encode(encoderA, a);
    const codeB = this.encode(encoderB, b);
    const reconA = decoderA.forward(codeA.z);
    const reconB = decoderB.forward(codeB.z);
    const fakeA = decoderA.forward(codeB.z);
    const fakeB = decoderB.forward(codeA.z);
    const codeBA = this.encode(encoderA, fakeA);
    const codeAB = this.encode(encoderB, fakeB);
    const terms: Record<string, Tensor> = {
      gan: add(lsgan(dA.judge(fakeA, input), 1), lsgan(dB.judge(fakeB, input), 1)),
      kl: add(kl(codeA.mu), kl(codeB.mu)),
      klCycle: add(kl(codeBA.mu), kl(codeAB.mu)),
      recon: add(l1(reconA, a), l1(reconB, b)),
      cycle: add(l1(decoderA.forward(codeAB.z), a), l1(decoderB.forward(codeBA.z), b)),
    };
    if (this.options.identity === 'reference') terms.identity = add(l1(fakeB, reconA), l1(fakeA, reconB));
    const total = weightedSum([
      [weights.gan, terms.gan!],
      [weights.kl, terms.kl!],
      [weights.kl, terms.klCycle!],
      [weights.recon, terms.recon!],
      [weights.cycle, terms.cycle!],
      ...(terms.identity ? [[weights.identity, terms.identity] as const] : []),
    ]);
    return { terms, total, fakes: { a: fakeA, b: fakeB } };
  }

  protected discriminatorLoss(batch: Batch, fakes: Batch): LossParts {
    return lsganDiscriminatorLoss(this.d.discriminatorA, this.d.discriminatorB, batch, fakes, 1);
  }

  /** Deterministic: decodes the code's mean mu, without the noise. */
  protected translateImages(x: Tensor, direction: Direction): Tensor {
    const { encoderA, encoderB, decoderA, decoderB } = this.g;
    return direction === 'a2b' ? decoderB.forward(encoderA.forward(x)) : decoderA.forward(encoderB.forward(x));
  }
}
