/**
 * An empirical privacy audit of the DP-SGD step as training runs it
 * (Steinke, Nasr, Jagielski 2023, "Privacy auditing with one (1) training
 * run"): m gradient canaries, each put in the data with probability 1/2; T
 * steps of the loader's Poisson sampling (data/loader.ts poissonSample) and
 * the trainer's step hooks (fed/dp/dpsgd.ts dpSgdStepOptions: two parameter
 * groups, generators and discriminators, each clipped to its share of C^2,
 * noised with std sigma C) on them; an auditor who sees every noisy gradient
 * sum scores each canary by its coordinates in both groups summed over the
 * steps, guesses "in" for the k highest and "out" for the k lowest, and
 * the count of right guesses gives, at 95% confidence, a lower bound on the
 * epsilon of (epsilon, delta)-DP (the paper's Theorem 3.1 with delta, its
 * Appendix D's p-value). Canary i's gradient is G e_i in each group, a
 * coordinate axis of its own (no cross-talk), with G = 50 C so that
 * clipping matters; clipping a group to more than its share would show. If the
 * bound exceeds the accountant's epsilon, the sanitiser or the sampler is
 * broken; the controls break them on purpose to show that it would be seen.
 */
import { add, keep, mul, noGrad, randn, Rng, sqrt, square, sum, tensor, tidy, zeros, type Tensor } from '../../engine/index.js';
import { poissonSample } from '../../data/loader.js';
import type { NamedParameters } from '../../models/index.js';
import { dpSgdStepOptions, noiseOnlyGradients, sanitisePerSampleGradients, type DpSgdOptions } from './dpsgd.js';
import { tightestEpsilon, type SoundAccountant } from './ledger.js';
import { logBinomials } from './logmath.js';

/** 'none' audits the real step; 'no-noise' runs it with sigma 0; 'no-clip' swaps in a sanitiser that skips clipping (in both groups). */
export type AuditControl = 'none' | 'no-noise' | 'no-clip';

export const auditControls: readonly AuditControl[] = ['none', 'no-noise', 'no-clip'];

export interface AuditOptions {
  /** Canaries m. */
  canaries?: number;
  /** Guesses on each side, k (default m / 10): 2k guesses in all, fixed in advance so the 95% holds. */
  guesses?: number;
  steps?: number;
  /** Sampling rate. */
  q?: number;
  /** Noise multiplier sigma. */
  noise?: number;
  /** Clipping bound C. */
  clip?: number;
  delta?: number;
  seed?: number;
  control?: AuditControl;
}

export interface AuditResult {
  /** The 95% lower bound on epsilon the audit measured. */
  lowerBound: number;
  /** The accountant's epsilon for the same steps at the configured sigma, and which accountant gave it. */
  accountantEpsilon: number;
  accountant: SoundAccountant;
  canaries: number;
  guesses: number;
  correct: number;
  settings: Required<AuditOptions>;
}

/** The canary's gradient norm over C: large, so that skipped clipping shows. */
const CANARY_SCALE = 50;

/** The defaults: sigma 4.2 over 16 steps at q 0.25 is epsilon 0.98 at delta 1e-5 (PRV), a small epsilon the controls must exceed. */
export const AUDIT_DEFAULTS = { canaries: 1000, steps: 16, q: 0.25, noise: 4.2, clip: 1, delta: 1e-5, seed: 1, control: 'none' } as const;

export async function auditDpSgd(options: AuditOptions = {}): Promise<AuditResult> {
  const m = options.canaries ?? AUDIT_DEFAULTS.canaries;
  const settings: Required<AuditOptions> = { ...AUDIT_DEFAULTS, guesses: Math.floor(m / 10), ...options };
  const { guesses, steps, q, noise, clip, delta, control } = settings;
  if (!(Number.isInteger(m) && m >= 2 && guesses >= 1 && 2 * guesses <= m)) throw new RangeError(`audit: needs 2 guesses <= 2k <= m canaries, got k ${guesses}, m ${m}`);
  const spent = tightestEpsilon([{ noise, q, steps }], { delta }); // first: it checks the parameters
  const rng = new Rng(settings.seed);
  const included = Array.from({ length: m }, () => rng.uniform() < 0.5);
  const members = included.flatMap((isIn, i) => (isIn ? [i] : []));
  const scores = new Float64Array(m);
  const sigma = control === 'no-noise' ? 0 : noise;
  const expectedBatch = Math.max(1, q * members.length);
  // Training's two groups, one parameter each, and its hooks (with the broken sanitiser for 'no-clip').
  const generators: NamedParameters = [['generators', zeros([m])]];
  const discriminators: NamedParameters = [['discriminators', zeros([m])]];
  const dpOptions = { clip, noise: sigma, rng, expectedBatch };
  const hooks = dpSgdStepOptions(dpOptions, control === 'no-clip' ? unclippedSanitiser : sanitisePerSampleGradients);
  const parameters = [...generators, ...discriminators].map(([, p]) => p);
  for (let t = 0; t < steps; t++) {
    const batch = poissonSample(members.length, q, rng).map((j) => members[j]!);
    if (batch.length === 0) for (const p of parameters) noiseOnlyGradients([p], dpOptions);
    else {
      for (const p of parameters) p.grad = canaryGradients(batch, m, CANARY_SCALE * clip);
      hooks.generatorGradients!(generators);
      hooks.discriminatorGradients!(discriminators);
    }
    // The auditor sees the noisy sums, as the optimizers do (times the fixed divisor).
    for (const p of parameters) {
      (await p.grad!.data()).forEach((v, i) => (scores[i] += v * expectedBatch));
      p.grad!.dispose();
      p.grad = null;
    }
  }
  for (const p of parameters) p.dispose();
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const correct = order.slice(0, guesses).filter((i) => included[i]).length + order.slice(m - guesses).filter((i) => !included[i]).length;
  return {
    lowerBound: epsilonLowerBound({ canaries: m, guesses: 2 * guesses, correct, delta }),
    accountantEpsilon: spent.epsilon,
    accountant: spent.accountant,
    canaries: m,
    guesses: 2 * guesses,
    correct,
    settings,
  };
}

/** Per-sample gradients [B, m]: row b is scale times the axis of canary batch[b]. */
function canaryGradients(batch: readonly number[], m: number, scale: number): Tensor {
  const values = new Float32Array(batch.length * m);
  batch.forEach((canary, b) => (values[b * m + canary] = scale));
  return tensor(values, [batch.length, m]);
}

/** The 'no-clip' control's deliberately broken sanitiser (one [B, m] canary parameter): the per-sample sum plus noise sigma C, never clipped; returns the norms. */
function unclippedSanitiser(params: readonly Tensor[], o: DpSgdOptions): Tensor {
  const parameter = params[0]!;
  const perSample = parameter.grad!;
  const norms = noGrad(() =>
    tidy(() => {
      const noisy = add(sum(perSample, 0), mul(randn(parameter.shape, { rng: o.rng }), o.noise * o.clip));
      parameter.grad = keep(mul(noisy, 1 / o.expectedBatch!));
      return sqrt(sum(square(perSample), 1));
    }),
  );
  perSample.dispose();
  return norms;
}

/**
 * The audit's p-value (Steinke et al. 2023, Appendix D): the chance of at
 * least `correct` right guesses out of `guesses` from m canaries if the
 * mechanism were (epsilon, delta)-DP: P[Binomial(r, e^eps / (1 + e^eps)) >= v]
 * plus the delta term 2 m delta max_i P[v > Binomial >= v - i] / i.
 */
export function auditPValue(o: { canaries: number; guesses: number; correct: number; epsilon: number; delta: number }): number {
  const { canaries: m, guesses: r, correct: v, epsilon, delta } = o;
  const p = 1 / (1 + Math.exp(-epsilon));
  const logC = logBinomials(r, r).log;
  const pmf = (k: number) => Math.exp(logC[k]! + k * Math.log(p) + (r - k) * Math.log1p(-p));
  let beta = 0;
  for (let k = v; k <= r; k++) beta += pmf(k);
  let alpha = 0;
  let below = 0;
  for (let i = 1; i <= v; i++) {
    below += pmf(v - i);
    alpha = Math.max(alpha, below / i);
  }
  return Math.min(1, beta + alpha * delta * 2 * m);
}

/** The largest epsilon the audit rejects at 95% confidence (0 when it rejects none), by bisection. */
export function epsilonLowerBound(o: { canaries: number; guesses: number; correct: number; delta: number }, confidence = 0.95): number {
  const rejects = (epsilon: number) => auditPValue({ ...o, epsilon }) < 1 - confidence;
  if (!rejects(0)) return 0;
  let lo = 0;
  let hi = 1;
  while (rejects(hi)) hi *= 2;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (rejects(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
