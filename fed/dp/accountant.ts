/**
 * The privacy accountant: (epsilon, delta) of DP-SGD's subsampled Gaussian
 * steps, by Renyi DP. Two ways a step's batch is drawn (DESIGN.md, "The reference code",
 * Differential privacy):
 * - 'poisson' (the default): each record joins with probability q; exact RDP
 *   (Mironov, Talwar, Zhang 2019) on Opacus's order grid, converted as
 *   Balle et al. 2020, Theorem 21;
 * - 'without-replacement': a fixed fraction q of the data; Wang, Balle,
 *   Kasiviswanathan 2019, Theorem 9, minimised over all real orders and
 *   converted as Mironov 2017, as autodp's `anaRDPacct.get_eps` does, which
 *   reproduces FedMed-GAN's privacy table.
 * Pure math: runs unchanged in a browser.
 */
import { bestEpsilon, epsilonFromRdp, type Conversion } from './conversion.js';
import { rdpPoissonGaussian } from './rdp_poisson.js';
import { rdpCurveWithoutReplacement } from './rdp_without_replacement.js';

export type Sampling = 'poisson' | 'without-replacement';

export const samplings: readonly Sampling[] = ['poisson', 'without-replacement'];

/**
 * Opacus's default RDP orders (RDPAccountant.DEFAULT_ALPHAS): 1 + x/10 for
 * x = 1..99, then the integers 12..63.
 */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, x) => 12 + x),
]);

/** `steps` runs of the subsampled Gaussian mechanism: noise std / clipping norm, sampling rate. */
export interface GaussianSteps {
  /** Noise multiplier sigma: the noise's standard deviation over the clipping norm. */
  noise: number;
  /** Sampling rate: batch size / local dataset size (or 1 / clients for the paper's table). */
  q: number;
  /** How many times the mechanism runs (optimizer steps; the paper's table composes 240). */
  steps: number;
}

export interface AccountingOptions {
  /** The delta of (epsilon, delta)-DP, in (0, 1). */
  delta: number;
  sampling?: Sampling;
  /** RDP orders for 'poisson' (default DEFAULT_ORDERS); 'without-replacement' searches all real orders. */
  orders?: readonly number[];
  /** Default 'balle2020' for 'poisson', 'mironov2017' for 'without-replacement'. */
  conversion?: Conversion;
  /**
   * How many coordinates the noise covers (a DP-SGD model's generator and
   * discriminator parameters): the sound figures (ledger.ts tightestEpsilon)
   * then leave the delta the noise's cut tail costs out of the accountant's
   * (fed/dp/noise_tail.ts). Absent: exact Gaussian noise is assumed.
   */
  noisedParameters?: number;
}

export interface PrivacySpent {
  epsilon: number;
  /** The Renyi order that gave epsilon (NaN when epsilon is Infinity or nothing ran). */
  order: number;
}

/** The conversion each sampling uses unless told otherwise (see the file's header). */
export function defaultConversion(sampling: Sampling): Conversion {
  return sampling === 'poisson' ? 'balle2020' : 'mironov2017';
}

/** A privacy parameter out of its range; `parameter` is the name a caller passed it as. */
export class PrivacyParameterError extends RangeError {
  override name = 'PrivacyParameterError';
  constructor(
    readonly parameter: string,
    readonly requirement: string,
  ) {
    super(`${parameter} ${requirement}`);
  }
}

/**
 * An accountant that cannot account these settings (a numerical limit, not a
 * bug): it gives no figure, and the ledger takes the other sound bound.
 */
export class AccountantDeclined extends Error {
  override name = 'AccountantDeclined';
}

/** epsilon of `steps` Poisson-subsampled Gaussian steps. */
export function epsilonPoisson(run: GaussianSteps & Omit<AccountingOptions, 'sampling'>): PrivacySpent {
  return composedEpsilon([run], { ...run, sampling: 'poisson' });
}

/** epsilon of `steps` Gaussian steps on fixed-size batches drawn without replacement. */
export function epsilonWithoutReplacement(run: GaussianSteps & Omit<AccountingOptions, 'sampling' | 'orders'>): PrivacySpent {
  return composedEpsilon([run], { ...run, sampling: 'without-replacement' });
}

/** epsilon of one run, sampled as `sampling` says (default 'poisson'): what `fedmed privacy` prints. */
export function privacyEpsilon(run: GaussianSteps & AccountingOptions): PrivacySpent {
  return composedEpsilon([run], run);
}

/** epsilon of several runs one after the other (RDP adds up order by order), e.g. a client's rounds. */
export function composedEpsilon(runs: readonly GaussianSteps[], options: AccountingOptions): PrivacySpent {
  checkOptions(options);
  for (const run of runs) checkRun(run);
  const sampling = options.sampling ?? 'poisson';
  const conversion = options.conversion ?? defaultConversion(sampling);
  if (sampling === 'poisson') {
    const orders = options.orders ?? DEFAULT_ORDERS;
    const rdps = orders.map((alpha) => runs.reduce((sum, r) => sum + r.steps * rdpPoissonGaussian(r.q, r.noise, alpha), 0));
    return bestEpsilon(orders, rdps, options.delta, conversion);
  }
  return withoutReplacementEpsilon(runs, options.delta, conversion);
}

/** Throws a PrivacyParameterError unless noise, q and steps (a whole number >= minSteps) are usable. */
export function checkRun(run: GaussianSteps, minSteps = 1): void {
  if (!(run.noise >= 0) || run.noise === Infinity) {
    throw new PrivacyParameterError('noise', `must be finite and >= 0, got ${run.noise}`);
  }
  if (!(run.q > 0 && run.q <= 1)) throw new PrivacyParameterError('q', `must be in (0, 1], got ${run.q}`);
  if (!Number.isInteger(run.steps) || run.steps < minSteps) {
    throw new PrivacyParameterError('steps', `must be a whole number >= ${minSteps}, got ${run.steps}`);
  }
}

/** Throws a PrivacyParameterError unless delta and the orders are usable. */
export function checkOptions(options: AccountingOptions): void {
  const { delta, orders } = options;
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError('delta', `must be in (0, 1), got ${delta}`);
  const d = options.noisedParameters;
  if (d !== undefined && !(Number.isSafeInteger(d) && d >= 1)) throw new PrivacyParameterError('noisedParameters', `must be a whole number of at least 1, got ${d}`);
  for (const order of orders ?? []) {
    if (!(order > 1) || order === Infinity) throw new PrivacyParameterError('orders', `must be finite and > 1, got ${order}`);
  }
}

/** autodp's first integer orders are 2..100; it extends them while the best is the last. */
const FIRST_MAX_ORDER = 100;
const LAST_MAX_ORDER = 1600;

/**
 * The smallest epsilon over all real orders > 1 for without-replacement
 * sampling, found as autodp's `get_eps` finds it: the best integer order
 * (doubling the range while the best is its end), then a one-dimensional
 * search on [best - 1, best + 1]. Between integers each step's bound is
 * (linear CGF) / (alpha - 1), monotone, so the search rarely moves off the
 * integer; it can where the unsampled Gaussian's cap is the smaller.
 */
function withoutReplacementEpsilon(runs: readonly GaussianSteps[], delta: number, conversion: Conversion): PrivacySpent {
  if (runs.some((r) => r.noise === 0)) return { epsilon: Infinity, order: NaN };
  const curves = runs.map((r) => ({ steps: r.steps, rdp: rdpCurveWithoutReplacement(r.q, r.noise) }));
  const epsilonAt = (alpha: number) =>
    epsilonFromRdp(
      curves.reduce((sum, c) => sum + c.steps * c.rdp(alpha), 0),
      alpha,
      delta,
      conversion,
    );
  let best: PrivacySpent = { epsilon: Infinity, order: NaN };
  let maxOrder = FIRST_MAX_ORDER;
  for (let alpha = 2; alpha <= maxOrder; alpha++) {
    const epsilon = epsilonAt(alpha);
    if (epsilon < best.epsilon) best = { epsilon, order: alpha };
    if (alpha === maxOrder && best.order === maxOrder && maxOrder < LAST_MAX_ORDER) maxOrder *= 2;
  }
  const refined = goldenSectionMinimum(epsilonAt, best.order - 1, best.order + 1);
  return refined.value < best.epsilon ? { epsilon: refined.value, order: refined.x } : best;
}

/** Golden-section search for a minimum of f on (lo, hi), to 1e-9 in x; f is never called at lo or hi. */
function goldenSectionMinimum(f: (x: number) => number, lo: number, hi: number): { x: number; value: number } {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-9) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  return fc < fd ? { x: c, value: fc } : { x: d, value: fd };
}
