/**
 * The one interface every translation GAN here implements, so that training,
 * federation (average the generators by name, keep discriminators and Adam
 * state local) and DP-SGD (per-sample generator gradients) treat all models
 * alike. Domains are `a` and `b`; images are [N, 1, size, size] tensors.
 */
import type { nn, optim, Tensor } from '../engine/index.js';

export const modelNames = ['cyclegan', 'cyclegan-resnet', 'unit', 'munit', 'hlhgan', 'hypergan'] as const;
export type ModelName = (typeof modelNames)[number];

export type Direction = 'a2b' | 'b2a';

/** Whether a model trains on every contrast the data holds (Hyper-GAN), not only the direction's two. */
export function trainsOnEveryContrast(name: ModelName): boolean {
  return name === 'hypergan';
}

/** A training batch: the same number of images from each domain. */
export interface Batch {
  a: Tensor;
  b: Tensor;
  /**
   * Hyper-GAN only: the contrasts of a's and b's images (data/contrasts.ts
   * names) when they are not the model's own pair (options.contrasts), as a
   * loader that draws a pair of the data's contrasts per batch gives them.
   */
  contrasts?: readonly [string, string];
}

/**
 * Which identity term the generator loss uses (DESIGN.md, "The reference code", Training step):
 * 'standard' is CycleGAN's 5 (|G_ab(b) - b| + |G_ba(a) - a|); 'reference' is
 * the FedMed-GAN code's 10 (|G_ba(fake_a) - fake_a| + |G_ab(fake_b) - fake_b|),
 * and for UNIT and MUNIT its base-class term 10 (|fake_b - recon_a| + |fake_a - recon_b|).
 */
export type IdentityVariant = 'standard' | 'reference';

/** Loss weights (DESIGN.md, "The reference code", Hyper-parameters). */
export interface LossWeights {
  gan: number;
  cycle: number;
  /** Identity term; 5 for 'standard', 10 for 'reference' unless given. */
  identity: number;
  /** UNIT/MUNIT image reconstruction |dec_a(enc_a(a)) - a| (the code's lambda_identity, 10); HLHGAN's upgrade term. */
  recon: number;
  /** UNIT's KL terms mean(mu^2), on the images' and on the translations' codes alike. */
  kl: number;
  style: number;
  content: number;
  /** Hyper-GAN's auxiliary contrast classification (cross-entropy) in both steps. */
  contrast: number;
  /** Hyper-GAN's common-space term: an image and its translation have the same features. */
  common: number;
}

export interface ModelOptions {
  /** Channels of the first layer; every layer scales with it. 64 (the paper) by default; 8 or 16 make CPU runs quick. */
  width?: number;
  /** Side of the square training images (256 by default); checked against each model's needs and each batch. */
  size?: number;
  identity?: IdentityVariant;
  /**
   * CycleGAN only: K discriminators per domain whose scores are averaged
   * (the paper's centralized ablation with K = the clients, Tables 5-6). 1 by default.
   */
  discriminators?: number;
  /**
   * Hyper-GAN only: the contrasts (data/contrasts.ts names) of domains a and
   * b, whose codes translate() uses. ['PD', 'T2'] by default.
   */
  contrasts?: readonly [string, string];
  /** Seeds parameter initialisation and the models' own noise. DESIGN.md, "The reference code": 3. */
  seed?: number;
  /** Adam for generators and discriminators alike: lr 1e-4, betas (0.5, 0.999) (DESIGN.md, "The reference code"). */
  lr?: number;
  betas?: readonly [number, number];
  weights?: Partial<LossWeights>;
  /**
   * The N(0, 1) draws of UNIT (latent noise) and MUNIT (random style codes);
   * a generator seeded from `seed` by default. That default stream is not
   * part of any saved state: a model restored from parameters and Adam
   * states draws from its start again. A caller that saves and resumes and
   * wants the run to continue exactly supplies this, keyed by its own
   * position (fed/client.ts keys it by epoch; tests/models/resume.test.ts).
   */
  noise?: (shape: readonly number[]) => Tensor;
}

export type ResolvedOptions = Required<Omit<ModelOptions, 'noise' | 'weights'>> & {
  weights: LossWeights;
  noise?: (shape: readonly number[]) => Tensor;
};

const identityVariants: readonly IdentityVariant[] = ['standard', 'reference'];
const weightNames: readonly (keyof LossWeights)[] = ['gan', 'cycle', 'identity', 'recon', 'kl', 'style', 'content', 'contrast', 'common'];

/**
 * The options with the paper's defaults filled in. A library caller's bad
 * identity, loss weight or seed is refused here: the models would otherwise
 * read an unknown identity each their own way, a NaN weight makes every loss
 * NaN, and a seed that is not a u32 cannot be written to a checkpoint.
 */
export function resolveOptions(options: ModelOptions): ResolvedOptions {
  const identity = options.identity ?? 'standard';
  if (!identityVariants.includes(identity)) throw new Error(`createModel: identity must be one of ${identityVariants.join(', ')}, got '${identity}'`);
  for (const [name, weight] of Object.entries(options.weights ?? {})) {
    if (!(weightNames as readonly string[]).includes(name)) throw new Error(`createModel: unknown loss weight '${name}'; choose from ${weightNames.join(', ')}`);
    if (!Number.isFinite(weight) || weight < 0) throw new Error(`createModel: loss weight ${name} must be finite and >= 0, got ${weight}`);
  }
  const seed = options.seed ?? 3;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`createModel: seed must be a whole number in [0, 2^32), got ${seed}`);
  const cycle = options.weights?.cycle ?? 10;
  return {
    width: options.width ?? 64,
    size: options.size ?? 256,
    identity,
    discriminators: options.discriminators ?? 1,
    contrasts: options.contrasts ?? ['PD', 'T2'],
    seed,
    lr: options.lr ?? 1e-4,
    betas: options.betas ?? [0.5, 0.999],
    weights: {
      gan: 1,
      cycle,
      identity: identity === 'standard' ? 0.5 * cycle : 10,
      recon: 10,
      kl: 0.1,
      style: 1,
      content: 1,
      contrast: 1,
      common: 0.5,
      ...options.weights,
    },
    noise: options.noise,
  };
}

/** Named parameters, `<network>.<state_dict name>`, each tensor once. */
export type NamedParameters = [string, Tensor][];

export interface GeneratorStepOptions {
  /**
   * DP-SGD: leave in each generator parameter's `grad` one gradient per
   * sample, [N, ...shape], the gradient of that sample's own loss (the
   * batch-mean loss times N is backpropagated with { perSample: N }).
   */
  perSample?: boolean;
  /**
   * Applied to every image a discriminator judges in the generator step, at
   * each of its scales, before its first layer: a place to sanitise the
   * gradient flowing from D into G (GS-WGAN). Identity by default.
   */
  discriminatorInput?: (x: Tensor) => Tensor;
}

export interface TrainStepOptions extends GeneratorStepOptions {
  /** Called between the generator backward and its Adam step, e.g. to clip and noise per-sample gradients. */
  generatorGradients?: (parameters: NamedParameters) => void;
  /**
   * Called between the discriminator backward and its Adam step. With
   * `perSample` the discriminator pass is per sample too, and both hooks are
   * needed (DP-SGD sanitises both: the generators' gradients depend on the
   * discriminators, which are trained on the same real images).
   */
  discriminatorGradients?: (parameters: NamedParameters) => void;
}

/** What the generator pass leaves: scalar losses (batch means) and the translations, detached. */
export interface GeneratorPass {
  losses: Record<string, Tensor>;
  fakes: Batch;
}

export interface GanModel {
  readonly name: ModelName;
  readonly options: Readonly<ResolvedOptions>;
  /** Adam over generatorParameters(); its state stays with the model when weights are replaced in place. */
  readonly generatorOptimizer: optim.Adam;
  readonly discriminatorOptimizer: optim.Adam;

  /** The generator networks by role (e.g. generatorAB, or encoderA and decoderA), PyTorch state_dict names inside. */
  generators(): Readonly<Record<string, nn.Module>>;
  discriminators(): Readonly<Record<string, nn.Module>>;
  /** Every generator parameter once (shared blocks under their first network): what federation averages. */
  generatorParameters(): NamedParameters;
  discriminatorParameters(): NamedParameters;

  /**
   * The generator loss and its backward, discriminators frozen: gradients
   * accumulate in the generator parameters' `grad`, no optimizer step. The
   * caller disposes the returned tensors.
   */
  generatorBackward(batch: Batch, options?: GeneratorStepOptions): GeneratorPass;
  /**
   * The discriminator loss on real images and the (detached) fakes, and its
   * backward; no step. With `perSample`, each discriminator parameter's `grad`
   * is [N, ...shape], each sample's own gradient.
   */
  discriminatorBackward(batch: Batch, fakes: Batch, options?: { perSample?: boolean }): Record<string, Tensor>;
  /** One G step then one D step, each with its own Adam. Returns the losses' batch means by name. */
  trainStep(batch: Batch, options?: TrainStepOptions): Promise<Record<string, number>>;
  /** Inference, no tape: [N, 1, H, W] of one domain to the other. The caller owns the result. */
  translate(x: Tensor, direction: Direction): Tensor;
  /** Frees every parameter and optimizer state. */
  dispose(): void;
}
