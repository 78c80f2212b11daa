/**
 * The Gaussian-DP accountant (Dong, Roth, Su 2022, "Gaussian differential
 * privacy"; Bu, Dong, Long, Su 2020, "Deep learning with Gaussian
 * differential privacy", Corollary 4): T Poisson-subsampled Gaussian steps are
 * approximately mu-GDP with mu = q sqrt(T (e^{1/sigma^2} - 1)), runs compose as
 * mu = sqrt(sum mu_i^2), and mu-GDP is (epsilon, delta)-DP for
 * delta = Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2).
 * The first step is a central limit theorem: an estimate, not a bound, so the
 * ledger never reports it as the guarantee. As Opacus's GDP accountant.
 */
import type { GaussianSteps } from './accountant.js';
import { logErfc } from './logmath.js';

/** mu of the runs composed (Infinity when a run adds no noise). */
export function gdpMu(runs: readonly GaussianSteps[]): number {
  let sumOfSquares = 0;
  for (const r of runs) {
    if (r.noise === 0) return Infinity;
    sumOfSquares += r.q * r.q * r.steps * Math.expm1(1 / (r.noise * r.noise));
  }
  return Math.sqrt(sumOfSquares);
}

/** The epsilon at which mu-GDP gives `delta`, by bisection (delta falls as epsilon grows). */
export function gdpEpsilon(runs: readonly GaussianSteps[], delta: number): number {
  const mu = gdpMu(runs);
  if (mu === Infinity) return Infinity;
  if (mu === 0 || gdpDelta(0, mu) <= delta) return 0;
  let lo = 0;
  let hi = 1;
  while (gdpDelta(hi, mu) > delta) hi *= 2;
  while (hi - lo > 1e-12 * Math.max(1, hi)) {
    const mid = (lo + hi) / 2;
    if (gdpDelta(mid, mu) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** delta(epsilon) of mu-GDP, the second term in log space (e^epsilon overflows before Phi underflows). */
export function gdpDelta(epsilon: number, mu: number): number {
  return normalCdf(-epsilon / mu + mu / 2) - Math.exp(epsilon + logNormalCdf(-epsilon / mu - mu / 2));
}

/** log Phi(x), accurate far into the lower tail: Phi(x) = erfc(-x / sqrt 2) / 2. */
export function logNormalCdf(x: number): number {
  return logErfc(-x / Math.SQRT2) - Math.LN2;
}

export function normalCdf(x: number): number {
  return Math.exp(logNormalCdf(x));
}
