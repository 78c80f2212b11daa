/**
 * One step's privacy loss random variable (PRV) for a group of k units under
 * Poisson sampling: each of the k units joins the step independently with
 * probability q, so M ~ Binomial(k, q) of them do, and their clipped
 * gradients add at most M C to the noisy sum (noise std sigma C). Schuchardt,
 * Stoian, Kosmala, Guennemann 2024 ("Unified Mechanism-Specific Amplification
 * by Subsampling and Group Privacy Amplification", NeurIPS, Theorem 3.8;
 * github.com/jan-schuchardt/group_amplification, `pld_tight_group`) prove
 * that the tight dominating pair for removing the group is
 *   P = sum_m Binom(m; k, q) N(m, sigma^2),  Q = N(0, sigma^2)
 * (every unit's gradient at full norm, all in one direction), and for adding
 * it the same pair swapped; both directions are needed (fed/dp/group_accountant.ts).
 * In units of C the privacy loss log r(x), r = P / Q, is
 *   log sum_m w_m exp((2 m x - m^2) / (2 sigma^2)),
 * convex and increasing in x, so Y <= t iff x <= x(t) with x(t) found by
 * Newton's method from the right (monotone for a convex increasing
 * function). k = 1 is the subsampled Gaussian of fed/dp/prv.ts. Pure math.
 */
import { logNormalCdf } from './gdp.js';
import { logBinomials } from './logmath.js';
import type { StepPrv } from './prv.js';

/** Removing the group from the data (P against Q), or adding it (Q against P). */
export type GroupDirection = 'remove' | 'add';

export const groupDirections: readonly GroupDirection[] = ['remove', 'add'];

/** The one-step PRV, with its standard deviation (the group accountant sizes its grid from it). */
export interface GroupStepPrv extends StepPrv {
  sd: number;
}

/** Components below this log weight are left out: their mass (under k e^-700) is far below any delta. */
const LOG_WEIGHT_FLOOR = -700;

/** The PRV of one step for a group of k units (see the header), in the given direction. */
export function groupStepPrv(q: number, sigma: number, k: number, direction: GroupDirection): GroupStepPrv {
  const loss = groupPrivacyLoss(q, sigma, k);
  const { shifts, logWeights, logNoGroup } = loss;
  // P(X <= x) and P(X > x) for X ~ P = sum_m w_m N(m, sigma^2).
  const bounds = new Float64Array(shifts.length);
  const mixtureTail = (x: number, side: 1 | -1) => {
    // For z < 0, e^{-z^2/2} / (4 sqrt(2 pi) max(1, |z|)) <= Phi(z) <= e^{-z^2/2}, so a term whose bound
    // log w_m - z^2/2 lies 45 below the largest adds under 32 |z| e^-42 of the sum: it is left out.
    let top = -Infinity;
    for (let i = 0; i < shifts.length; i++) {
      const z = (side * (x - shifts[i]!)) / sigma;
      bounds[i] = logWeights[i]! - (z < 0 ? (z * z) / 2 : 0);
      top = Math.max(top, bounds[i]!);
    }
    let sum = 0;
    for (let i = 0; i < shifts.length; i++) {
      if (bounds[i]! > top - 45) sum += Math.exp(logWeights[i]! + logNormalCdf((side * (x - shifts[i]!)) / sigma));
    }
    return sum;
  };
  const mixtureCdf = (x: number) => mixtureTail(x, 1);
  const mixtureSurvival = (x: number) => mixtureTail(x, -1);
  const moments = lossMoments(loss, sigma, k, direction);
  if (direction === 'remove') {
    // Y = log r(X), X ~ P: Y >= log w_0 always.
    return {
      cdf: (t) => (t <= logNoGroup ? 0 : mixtureCdf(loss.inverse(t))),
      survival: (t) => (t <= logNoGroup ? 1 : mixtureSurvival(loss.inverse(t))),
      ...moments,
    };
  }
  // Y = -log r(X), X ~ Q = N(0, sigma^2): Y <= t iff log r(X) >= -t, and Y <= -log w_0 always.
  return {
    cdf: (t) => (-t <= logNoGroup ? 1 : Math.exp(logNormalCdf(-loss.inverse(-t) / sigma))),
    survival: (t) => (-t <= logNoGroup ? 0 : Math.exp(logNormalCdf(loss.inverse(-t) / sigma))),
    ...moments,
  };
}

interface GroupLoss {
  /** The numbers m of the group's units in the step, with log Binom(m; k, q) (negligible ones left out). */
  shifts: Float64Array;
  logWeights: Float64Array;
  /** log w_0 = k log(1 - q): the loss's floor, where none of the group is in the step. */
  logNoGroup: number;
  /** log r(x). */
  at(x: number): number;
  /** The x with log r(x) = s, for s > log w_0. */
  inverse(s: number): number;
}

function groupPrivacyLoss(q: number, sigma: number, k: number): GroupLoss {
  const s2 = sigma * sigma;
  const binomials = logBinomials(k, k).log;
  const all = Array.from({ length: k + 1 }, (_, m) => ({ m, logWeight: binomials[m]! + (m === 0 ? 0 : m * Math.log(q)) + (m === k ? 0 : (k - m) * Math.log1p(-q)) }));
  const kept = all.filter((c) => c.logWeight > LOG_WEIGHT_FLOOR);
  const shifts = Float64Array.from(kept, (c) => c.m);
  const logWeights = Float64Array.from(kept, (c) => c.logWeight);
  const logNoGroup = k * Math.log1p(-q);
  const terms = new Float64Array(shifts.length);
  /** log r(x), leaving each component's log term in `terms`. */
  const at = (x: number) => {
    let top = -Infinity;
    for (let i = 0; i < shifts.length; i++) {
      const m = shifts[i]!;
      terms[i] = logWeights[i]! + (2 * m * x - m * m) / (2 * s2);
      top = Math.max(top, terms[i]!);
    }
    let sum = 0;
    for (let i = 0; i < shifts.length; i++) sum += Math.exp(terms[i]! - top);
    return top + Math.log(sum);
  };
  /** log r and its slope E[m | x] / sigma^2. */
  const withSlope = (x: number) => {
    const value = at(x);
    let slope = 0;
    for (let i = 0; i < shifts.length; i++) slope += shifts[i]! * Math.exp(terms[i]! - value);
    return { value, slope: slope / s2 };
  };
  // The last root found, and log r's slope there: its tangent (below log r, which is convex) starts the next search.
  let last = { s: NaN, x: NaN, slope: NaN };
  const inverse = (s: number) => {
    // r(x) >= w_0 + w_m e^{(2 m x - m^2) / (2 sigma^2)} for every m >= 1, so each such x_m lies right of the root, as does the tangent's.
    const rest = s + Math.log(-Math.expm1(logNoGroup - s)); // log(e^s - w_0)
    let x = last.x + (s - last.s) / last.slope;
    if (!Number.isFinite(x)) x = Infinity; // no last root, or a slope that underflowed to 0
    for (let i = 0; i < shifts.length; i++) {
      const m = shifts[i]!;
      if (m > 0) x = Math.min(x, (s2 * (rest - logWeights[i]!)) / m + m / 2);
    }
    for (let iteration = 0; iteration < 200; iteration++) {
      const { value, slope } = withSlope(x);
      const step = (value - s) / slope;
      // From the right every step is down; one that is not, or is tiny, is rounding: x is the root.
      if (!(step > 1e-12 * Math.max(1, Math.abs(x)))) {
        last = { s, x, slope };
        return step > 0 ? x - step : x;
      }
      x -= step;
    }
    throw new Error(`group PRV: no root of log r(x) = ${s} for q = ${q}, sigma = ${sigma}, k = ${k}`);
  };
  return { shifts, logWeights, logNoGroup, at, inverse };
}

/** E[Y] and sd(Y) by Simpson's rule over x in [-20 sigma, k + 20 sigma]. */
function lossMoments(loss: GroupLoss, sigma: number, k: number, direction: GroupDirection): { mean: number; sd: number } {
  const a = -20 * sigma;
  const b = k + 20 * sigma;
  const steps = 20000;
  const dx = (b - a) / steps;
  const logNorm = -Math.log(sigma * Math.sqrt(2 * Math.PI));
  const density = (x: number) =>
    direction === 'remove'
      ? loss.shifts.reduce((sum, m, i) => sum + Math.exp(loss.logWeights[i]! + logNorm - (x - m) ** 2 / (2 * sigma * sigma)), 0)
      : Math.exp(logNorm - (x * x) / (2 * sigma * sigma));
  const sign = direction === 'remove' ? 1 : -1;
  let first = 0;
  let second = 0;
  for (let i = 0; i <= steps; i++) {
    const x = a + i * dx;
    const weight = (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2) * density(x);
    const y = sign * loss.at(x);
    first += weight * y;
    second += weight * y * y;
  }
  const mean = (first * dx) / 3;
  return { mean, sd: Math.sqrt(Math.max(0, (second * dx) / 3 - mean * mean)) };
}
