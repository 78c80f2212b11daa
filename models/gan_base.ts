/**
 * What every GanModel does the same way: one Adam for the generators and one
 * for the discriminators, the generator pass with the discriminators frozen,
 * the discriminator pass on detached fakes (both optionally per sample, for
 * DP-SGD), and reading the losses back in one transfer. Subclasses supply the
 * networks, the two losses and translation.
 */
import { add, cat, mul, nn, noGrad, optim, randn, reshape, Rng, tidy, type Tensor } from '../engine/index.js';
import { lsgan } from './losses.js';
import type {
  Batch,
  Direction,
  GanModel,
  GeneratorPass,
  GeneratorStepOptions,
  ModelName,
  NamedParameters,
  ResolvedOptions,
  TrainStepOptions,
} from './gan_model.js';

/** A discriminator's outputs, one map or score per scale, each scale's input passed through `input` first. */
export interface Discriminator extends nn.Module {
  judge(x: Tensor, input?: (x: Tensor) => Tensor): Tensor[];
}

export type Networks = Readonly<Record<string, nn.Module>>;
export type Discriminators = Readonly<Record<string, Discriminator>>;

/** A loss: its named (unweighted) terms and the weighted total that is backpropagated. */
export interface LossParts {
  terms: Record<string, Tensor>;
  total: Tensor;
}

export interface GeneratorLossParts extends LossParts {
  /** The translations a -> b and b -> a, still on the tape. */
  fakes: Batch;
}

export abstract class GanBase<G extends Networks, D extends Discriminators> implements GanModel {
  readonly generatorOptimizer: optim.Adam;
  readonly discriminatorOptimizer: optim.Adam;
  private readonly generatorParams: NamedParameters;
  private readonly discriminatorParams: NamedParameters;
  private readonly rng: Rng;

  protected constructor(
    readonly name: ModelName,
    readonly options: ResolvedOptions,
    protected readonly g: G,
    protected readonly d: D,
  ) {
    this.generatorParams = uniqueParameters(g);
    this.discriminatorParams = uniqueParameters(d);
    const adam = { lr: options.lr, betas: options.betas };
    this.generatorOptimizer = new optim.Adam(this.generatorParams.map(([, p]) => p), adam);
    this.discriminatorOptimizer = new optim.Adam(this.discriminatorParams.map(([, p]) => p), adam);
    this.rng = new Rng((options.seed + 0x9e3779b9) >>> 0); // apart from the initialisation's stream
  }

  /** The generator loss for a batch; `input` goes to every discriminator.judge call. */
  protected abstract generatorLoss(batch: Batch, input: (x: Tensor) => Tensor): GeneratorLossParts;
  protected abstract discriminatorLoss(batch: Batch, fakes: Batch): LossParts;
  protected abstract translateImages(x: Tensor, direction: Direction): Tensor;

  generators(): G {
    return this.g;
  }

  discriminators(): D {
    return this.d;
  }

  generatorParameters(): NamedParameters {
    return [...this.generatorParams];
  }

  discriminatorParameters(): NamedParameters {
    return [...this.discriminatorParams];
  }

  /** N(0, 1) values: options.noise when given, else the model's seeded stream (not in its saved state; see ModelOptions.noise). */
  protected noise(shape: readonly number[]): Tensor {
    return this.options.noise ? this.options.noise(shape) : randn(shape, { rng: this.rng });
  }

  generatorBackward(batch: Batch, options: GeneratorStepOptions = {}): GeneratorPass {
    const n = this.checkBatch(batch, 'generatorBackward');
    const input = options.discriminatorInput ?? ((x: Tensor) => x);
    return frozen(this.discriminatorParams, () =>
      tidy(() => {
        const { terms, total, fakes } = this.generatorLoss(batch, input);
        backwardBatchMean(total, n, options.perSample);
        return { losses: { generator: total, ...terms }, fakes: { a: detach(fakes.a), b: detach(fakes.b) } };
      }),
    );
  }

  discriminatorBackward(batch: Batch, fakes: Batch, options: { perSample?: boolean } = {}): Record<string, Tensor> {
    const n = this.checkBatch(batch, 'discriminatorBackward');
    return tidy(() => {
      const { terms, total } = this.discriminatorLoss(batch, fakes);
      backwardBatchMean(total, n, options.perSample);
      return { discriminator: total, ...terms };
    });
  }

  async trainStep(batch: Batch, options: TrainStepOptions = {}): Promise<Record<string, number>> {
    if (options.perSample && !(options.generatorGradients && options.discriminatorGradients)) {
      throw new Error(`${this.name}.trainStep: perSample gradients need generatorGradients and discriminatorGradients hooks that reduce them`);
    }
    const gOpt = this.generatorOptimizer;
    const dOpt = this.discriminatorOptimizer;
    gOpt.zeroGrad();
    const pass = this.generatorBackward(batch, options);
    let dLosses: Record<string, Tensor> = {};
    try {
      options.generatorGradients?.(this.generatorParameters());
      gOpt.step();
      gOpt.zeroGrad();
      dOpt.zeroGrad();
      // pass.fakes were made before the generators' Adam step and D has not moved: both passes' gradients are
      // functions of the step's starting state and its batch, which DP-SGD accounts as one mechanism (fed/client.ts).
      dLosses = this.discriminatorBackward(batch, pass.fakes, options);
      options.discriminatorGradients?.(this.discriminatorParameters());
      dOpt.step();
      dOpt.zeroGrad();
      return await readScalars({ ...pass.losses, ...dLosses });
    } finally {
      for (const t of [...Object.values(pass.losses), pass.fakes.a, pass.fakes.b, ...Object.values(dLosses)]) t.dispose();
    }
  }

  translate(x: Tensor, direction: Direction): Tensor {
    if (direction !== 'a2b' && direction !== 'b2a') throw new Error(`${this.name}.translate: direction must be 'a2b' or 'b2a', got '${direction}'`);
    if (x.rank !== 4 || x.shape[1] !== 1) throw new Error(`${this.name}.translate: needs [N, 1, H, W] images, got ${x}`);
    return noGrad(() => tidy(() => this.translateImages(x, direction)));
  }

  dispose(): void {
    for (const [, p] of [...this.generatorParams, ...this.discriminatorParams]) p.dispose();
    this.generatorOptimizer.dispose();
    this.discriminatorOptimizer.dispose();
  }

  /** Checks both halves are [N, 1, size, size] with the same N; returns N. */
  private checkBatch(batch: Batch, where: string): number {
    const size = this.options.size;
    const n = batch.a.shape[0] ?? 0;
    // Only a and b: a data loader's batch carries its items too.
    for (const [key, t] of [['a', batch.a], ['b', batch.b]] as const) {
      const ok = t.rank === 4 && t.shape[0] === n && n > 0 && t.shape[1] === 1 && t.shape[2] === size && t.shape[3] === size;
      if (!ok) throw new Error(`${this.name}.${where}: batch.${key} is [${t.shape}], expected [${n || 'N'}, 1, ${size}, ${size}] like batch.a`);
    }
    return n;
  }
}

/**
 * The least-squares discriminator loss every model here shares: real images
 * judged against 1, the (detached) fakes against 0, both domains summed, then
 * scaled (CycleGAN halves it, UNIT and MUNIT do not).
 */
export function lsganDiscriminatorLoss(dA: Discriminator, dB: Discriminator, { a, b }: Batch, fakes: Batch, scale: number): LossParts {
  const real = add(lsgan(dA.judge(a), 1), lsgan(dB.judge(b), 1));
  const fake = add(lsgan(dA.judge(fakes.a), 0), lsgan(dB.judge(fakes.b), 0));
  const sum = add(real, fake);
  return { terms: { discriminatorReal: real, discriminatorFake: fake }, total: scale === 1 ? sum : mul(sum, scale) };
}

/**
 * Backpropagates a loss that is a mean over the batch of N equal per-sample
 * parts (every loss here is); with `perSample`, N times it (their sum) with
 * per-sample gradients, so that sample i's grad is that of its own part.
 */
function backwardBatchMean(total: Tensor, n: number, perSample: boolean | undefined): void {
  if (perSample) mul(total, n).backward({ perSample: n });
  else total.backward();
}

/** The same values off the tape (torch's detach): a new reference to the storage, no gradient. */
export function detach(t: Tensor): Tensor {
  return t.alias();
}

/** Each parameter tensor once, named `<network>.<state_dict name>` after its first network (UNIT shares blocks). */
function uniqueParameters(networks: Networks): NamedParameters {
  const seen = new Set<Tensor>();
  const out: NamedParameters = [];
  for (const [role, network] of Object.entries(networks)) {
    for (const [name, p] of network.namedParameters()) {
      if (seen.has(p)) continue;
      seen.add(p);
      out.push([`${role}.${name}`, p]);
    }
  }
  return out;
}

/** Runs fn with the parameters out of the tape (no gradients computed for them); gradients still flow through. */
function frozen<T>(params: NamedParameters, fn: () => T): T {
  for (const [, p] of params) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    for (const [, p] of params) p.requiresGrad = true;
  }
}

/** Reads scalar tensors back with one transfer. */
async function readScalars(named: Readonly<Record<string, Tensor>>): Promise<Record<string, number>> {
  const names = Object.keys(named);
  const packed = noGrad(() => tidy(() => cat(names.map((k) => reshape(named[k]!, [1])), 0)));
  try {
    const values = await packed.data();
    return Object.fromEntries(names.map((k, i) => [k, values[i]!]));
  } finally {
    packed.dispose();
  }
}
