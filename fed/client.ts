/**
 * A hospital. It holds its data, its generators, its discriminators and both
 * optimizers' state. Each round it takes the global generators, trains its
 * local epochs, and sends back only its generators' parameters and its
 * sample count; discriminators and Adam moments never leave it.
 */
import { randn, type Rng, type StateEntry, type Tensor } from '../engine/index.js';
import { describeItems, streamRng, type Batch, type BatchLoader, type EmptyBatch } from '../data/index.js';
import type { GanModel, TrainStepOptions } from '../models/index.js';
import { dpSgdStepOptions, noiseOnlyGradients } from './dp/dpsgd.js';
import { GS_WGAN_EPSILON_CAVEAT, sanitiseImageGradient } from './dp/gswgan.js';
import { DP_SECRET_ENTRY, DpSecret, SEEDED_CAVEAT, type DpRandomness } from './dp/secret.js';
import type { Sampling } from './dp/accountant.js';
import type { ClientUpdate } from './fedavg.js';
import { readNamed, writeNamed } from './state.js';

export type PrivacyMechanism = 'dp-sgd' | 'gs-wgan';

/**
 * What a run's privacy ledger says beside its epsilon: GS-WGAN's is no
 * guarantee (fed/dp/gswgan.ts), nor is any epsilon of noise drawn from the
 * seed (fed/dp/secret.ts).
 */
export function epsilonCaveat(mechanism: PrivacyMechanism, randomness: DpRandomness): string | undefined {
  if (mechanism === 'gs-wgan') return GS_WGAN_EPSILON_CAVEAT;
  return randomness === 'seeded' ? SEEDED_CAVEAT : undefined;
}

/**
 * How a private client's loader draws its steps, which its ledger records and
 * its accountant assumes: Poisson samples for DP-SGD; for GS-WGAN, shuffled
 * fixed-size batches, each a fixed fraction of the data drawn without
 * replacement.
 */
export function dpSampling(mechanism: PrivacyMechanism): Sampling {
  return mechanism === 'dp-sgd' ? 'poisson' : 'without-replacement';
}

export interface PrivacySettings {
  mechanism: PrivacyMechanism;
  /** Clipping bound C (DP-SGD: on each unit's generator and discriminator gradients together). */
  clip: number;
  /** DP-SGD: the generators' share of C^2, in (0, 1) (the discriminators get the rest); default 0.5. */
  generatorShare?: number;
  /** Noise multiplier sigma. */
  noise: number;
  /** GS-WGAN's sensitivity factor (its code's 2.0). */
  sensitivity: number;
  /** Where sampling and noise come from: a secret key (the default), or the seed (reproducible, not private). */
  randomness: DpRandomness;
  /**
   * DP-SGD: what a step whose loss is not finite does. 'stop' (the default)
   * throws NonFiniteLossError. 'leave out' goes on: the units whose gradients
   * are not finite add nothing to the clipped sums (engine/backend.ts
   * clippedSumWithNoise), so the step is the mechanism's like any other and
   * nothing outside the guarantee tells that it happened (whether a round
   * failed would: a private Flower node's choice). The step's losses are left
   * out of the means and counted (LocalTraining.nonFiniteSteps).
   */
  nonFiniteLoss?: 'stop' | 'leave out';
}

/** What local training (an epoch, or a round's epochs) did: optimizer steps and mean losses. */
export interface LocalTraining {
  steps: number;
  losses: Record<string, number>;
  /** Steps whose loss was not finite, left out of the means (PrivacySettings.nonFiniteLoss 'leave out'); absent when none. */
  nonFiniteSteps?: number;
}

export interface RoundHooks {
  /** After each training step; `localEpoch` counts from 0 within the round. */
  onStep?: (event: StepEvent, localEpoch: number) => void;
  /** After each local epoch (the web page yields to the browser there). */
  afterEpoch?: () => Promise<void>;
}

/** A loss that is not a finite number: training stops at once, naming where and the batch's subjects, planes and files. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

export interface StepEvent {
  client: string;
  /** 1-based step within the epoch, and the epoch's step count. */
  step: number;
  steps: number;
  losses: Record<string, number>;
  images: number;
}

export class Client {
  readonly model: GanModel;
  /** Where the model's own noise (UNIT's latent draws, MUNIT's styles) comes from this epoch. */
  private noiseRng: Rng;
  /** A private client's key for its sampling and noise (fed/dp/secret.ts); null without DP. */
  private dpSecret: DpSecret | null;

  /**
   * `makeModel` builds this client's model with the noise source it is
   * given, so that every random draw is reproducible per (seed, epoch).
   */
  constructor(
    readonly name: string,
    readonly loader: BatchLoader,
    makeModel: (noise: (shape: readonly number[]) => Tensor) => GanModel,
    private readonly seed: number,
    private readonly privacy: PrivacySettings | null,
  ) {
    this.noiseRng = streamRng(seed, 0x0153);
    this.model = makeModel((shape) => randn(shape, { rng: this.noiseRng }));
    this.dpSecret = privacy ? DpSecret.create(privacy.randomness, seed) : null;
  }

  /** Training items, the client's weight in FedAvg. */
  get samples(): number {
    return this.loader.items.length;
  }

  /** The DP sampling rate: batch size over local dataset size. */
  get samplingRate(): number {
    return this.loader.samplingRate;
  }

  /** The noise multiplier sigma of its private training (0 without DP). */
  get noise(): number {
    return this.privacy?.noise ?? 0;
  }

  /** Whether steps are Poisson samples (dpSampling); without DP, shuffled fixed-size batches. */
  get poissonSampled(): boolean {
    return this.privacy !== null && dpSampling(this.privacy.mechanism) === 'poisson';
  }

  /** Overwrites the generators with the global ones; everything else stays. */
  receive(global: ReadonlyMap<string, StateEntry>): void {
    writeNamed(this.model.generatorParameters(), global, `client ${this.name}: global generators`);
  }

  /** This round's contribution: generator parameters and sample count, nothing else. */
  async upload(): Promise<ClientUpdate> {
    return { state: await readNamed(this.model.generatorParameters()), samples: this.samples };
  }

  /**
   * A round of local training: `localEpochs` passes, this client's epochs
   * `firstEpoch` onwards (counted from 0 over its whole run, so that no two
   * epochs share a random stream, and a resumed run or a Flower node keys
   * each epoch as the uninterrupted run did).
   */
  async trainRound(
    firstEpoch: number,
    localEpochs: number,
    hooks: RoundHooks = {},
  ): Promise<LocalTraining> {
    const losses: Record<string, number> = {};
    let steps = 0;
    let nonFiniteSteps = 0;
    for (let e = 0; e < localEpochs; e++) {
      const result = await this.trainEpoch(firstEpoch + e, (event) => hooks.onStep?.(event, e));
      steps += result.steps;
      nonFiniteSteps += result.nonFiniteSteps ?? 0;
      for (const [k, v] of Object.entries(result.losses)) losses[k] = (losses[k] ?? 0) + v / localEpochs;
      await hooks.afterEpoch?.();
    }
    return { steps, losses, ...(nonFiniteSteps ? { nonFiniteSteps } : {}) };
  }

  /** What never leaves the client: discriminator weights, both optimizers' moments and a private client's DP key, by name. */
  async privateState(): Promise<Map<string, StateEntry>> {
    const out = new Map<string, StateEntry>();
    if (this.dpSecret) out.set(DP_SECRET_ENTRY, this.dpSecret.toEntry());
    for (const [name, entry] of await readNamed(this.model.discriminatorParameters())) out.set(`discriminator.${name}`, entry);
    for (const [prefix, adam] of this.optimizers()) {
      for (const [name, entry] of await adam.stateDict()) out.set(`${prefix}.${name}`, entry);
    }
    return out;
  }

  /** Restores what privateState() saved; `where` names the source in errors. */
  restorePrivateState(state: ReadonlyMap<string, StateEntry>, where: string): void {
    const section = (prefix: string) => new Map([...state].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    writeNamed(this.model.discriminatorParameters(), section('discriminator.'), where);
    for (const [prefix, adam] of this.optimizers()) adam.loadStateDict(section(`${prefix}.`));
    if (this.dpSecret) this.dpSecret = DpSecret.fromEntry(state.get(DP_SECRET_ENTRY), where);
  }

  private optimizers() {
    return [['adam.generator', this.model.generatorOptimizer], ['adam.discriminator', this.model.discriminatorOptimizer]] as const;
  }

  /**
   * One pass over the client's data. `epoch` counts this client's epochs
   * from 0 over the whole run: shuffling, DP sampling and noise and model
   * noise are drawn from streams keyed by it (the DP ones under the client's
   * secret), so a resumed run repeats them exactly. Under DP-SGD an empty
   * Poisson sample takes a noise-only step (its losses are not known, so it
   * adds none to the means).
   */
  async trainEpoch(epoch: number, onStep?: (e: StepEvent) => void): Promise<LocalTraining> {
    this.noiseRng = streamRng(this.seed, 0x0153, epoch);
    const secret = this.dpSecret;
    const dpRng = secret?.stream(0xd9, epoch);
    const totals: Record<string, number> = {};
    const steps = this.loader.length;
    let step = 0;
    let measured = 0;
    let nonFiniteSteps = 0;
    const batches: Iterable<Batch | EmptyBatch> = this.poissonSampled && secret ? this.loader.poissonEpoch(secret.stream(0x9015, epoch)) : this.loader.epoch(epoch);
    for (const batch of batches) {
      step++;
      if (batch.a === null) {
        this.noiseOnlyStep(dpRng!); // only a Poisson sample, so a private client's, is ever empty
        onStep?.({ client: this.name, step, steps, losses: {}, images: 0 });
        continue;
      }
      let losses: Record<string, number>;
      try {
        losses = await this.model.trainStep({ a: batch.a, b: batch.b, contrasts: batch.contrasts }, this.stepOptions(dpRng, batch.units));
      } finally {
        batch.a.dispose();
        batch.b.dispose();
      }
      const bad = Object.entries(losses).find(([, v]) => !Number.isFinite(v));
      if (bad && !this.leavesOutNonFinite) throw new NonFiniteLossError(`client ${this.name}: loss ${bad[0]} is ${bad[1]} at epoch ${epoch + 1}, step ${step}, on a batch of ${describeItems(batch.items)}`);
      if (bad) nonFiniteSteps++;
      else {
        for (const [k, v] of Object.entries(losses)) totals[k] = (totals[k] ?? 0) + v;
        measured++;
      }
      onStep?.({ client: this.name, step, steps, losses: bad ? {} : losses, images: batch.items.length });
    }
    const means = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / measured]));
    return { losses: means, steps, ...(nonFiniteSteps ? { nonFiniteSteps } : {}) };
  }

  /** Whether a non-finite loss goes on (PrivacySettings.nonFiniteLoss): DP-SGD's clipped sums leave its units out. */
  private get leavesOutNonFinite(): boolean {
    return this.privacy?.mechanism === 'dp-sgd' && this.privacy.nonFiniteLoss === 'leave out';
  }

  /**
   * An empty Poisson sample's step: generators and discriminators both move
   * by the noise alone, as the mechanism's output on an empty sample is
   * distributed (a part that stayed would tell that nobody was drawn).
   */
  private noiseOnlyStep(rng: Rng): void {
    const p = this.privacy!;
    const groups = [[this.model.generatorParameters(), this.model.generatorOptimizer], [this.model.discriminatorParameters(), this.model.discriminatorOptimizer]] as const;
    for (const [params, optimizer] of groups) {
      optimizer.zeroGrad();
      noiseOnlyGradients(params.map(([, t]) => t), { clip: p.clip, noise: p.noise, rng, expectedBatch: this.loader.expectedImages });
      optimizer.step();
      optimizer.zeroGrad();
    }
  }

  /** `units`: each sample's privacy unit (subject) in the batch, when the unit is a subject. */
  private stepOptions(rng: Rng | undefined, units?: number[]): TrainStepOptions {
    const p = this.privacy;
    if (!p || !rng) return {};
    if (p.mechanism === 'gs-wgan') {
      return { discriminatorInput: (x) => sanitiseImageGradient(x, { clip: p.clip, noise: p.noise, sensitivity: p.sensitivity, rng }) };
    }
    return dpSgdStepOptions({ clip: p.clip, noise: p.noise, rng, units, expectedBatch: this.loader.expectedImages, generatorShare: p.generatorShare });
  }

  dispose(): void {
    this.model.dispose();
  }
}
