/**
 * Renyi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar,
 * Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism",
 * Section 3.3): each record joins a step's batch independently with
 * probability q, the batch's sum of clipped gradients (sensitivity 1) gets
 * N(0, sigma^2) noise. Exact at every order alpha > 1, integer or not. Pure math.
 */
import { logAdd, logBinomials, logErfc, logSub, logSumExp } from './logmath.js';

/**
 * RDP at order alpha of one step, in nats: log(A_alpha) / (alpha - 1), where
 * A_alpha = E_{z ~ mu0} [(mu(z) / mu0(z))^alpha], mu0 = N(0, sigma^2),
 * mu = (1 - q) mu0 + q N(1, sigma^2). Infinity without noise or at alpha = Infinity.
 */
export function rdpPoissonGaussian(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma); // the plain Gaussian mechanism
  if (alpha === Infinity) return Infinity;
  const key = `${q} ${sigma} ${alpha}`;
  let rdp = known.get(key);
  if (rdp === undefined) {
    if (known.size >= KNOWN_LIMIT) known.clear();
    rdp = (Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha)) / (alpha - 1);
    known.set(key, rdp);
  }
  return rdp;
}

/**
 * One step's RDP by (q, sigma, alpha), as computed: a ledger asks for the
 * same few clients' steps every round, and the PRV accountant asks again
 * for its grid's span, while the fractional orders' series cost about a
 * millisecond each. Bounded, since a search over sigma asks for new ones.
 */
const known = new Map<string, number>();
const KNOWN_LIMIT = 100_000;

/**
 * Integer alpha (paper, Section 3.3, the binomial expansion):
 * A_alpha = sum_{i=0}^{alpha} C(alpha, i) q^i (1-q)^{alpha-i} exp((i^2 - i) / (2 sigma^2)).
 */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const binomials = logBinomials(alpha, alpha).log;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const terms: number[] = [];
  for (let i = 0; i <= alpha; i++) {
    terms.push(binomials[i]! + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma));
  }
  return logSumExp(terms);
}

/** A guard against a series that never falls below its cut-off (it always does, geometrically in 1 - q). */
const MAX_SERIES_TERMS = 1_000_000;

/**
 * Fractional alpha (paper, Section 3.3): A_alpha = A0 + A1, the integrals over
 * z <= z0 and z >= z0 with z0 = sigma^2 log(1/q - 1) + 1/2, each expanded in
 * the generalised binomial series (whose coefficients alternate in sign once
 * i > alpha):
 *   A0 = sum_i C(alpha, i) q^i (1-q)^{alpha-i} e^{(i^2-i)/(2 sigma^2)} erfc((i - z0) / (sqrt2 sigma)) / 2
 *   A1 = sum_i C(alpha, i) q^{alpha-i} (1-q)^i e^{(j^2-j)/(2 sigma^2)} erfc((z0 - j) / (sqrt2 sigma)) / 2,  j = alpha - i.
 * Summed past i = alpha until both terms fall below e^-45: A_alpha >= 1 (by
 * Jensen), so the tail left out is below double precision. (TF-Privacy and
 * Opacus stop at e^-30, which leaves about 1e-14 of A, visible when log A is tiny.)
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const twoSigma2 = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  // Positive and negative parts accumulated apart, subtracted once at the end.
  let positive = -Infinity;
  let negative = -Infinity;
  let logBinomial = 0;
  let sign = 1;
  for (let i = 0; ; i++) {
    if (i > MAX_SERIES_TERMS) {
      throw new Error(`rdpPoissonGaussian: the series for q = ${q}, sigma = ${sigma}, alpha = ${alpha} did not converge`);
    }
    if (i > 0) {
      const factor = alpha - (i - 1);
      logBinomial += Math.log(Math.abs(factor)) - Math.log(i);
      if (factor < 0) sign = -sign;
    }
    const j = alpha - i;
    const s0 = logBinomial + i * logQ + j * log1mQ + (i * i - i) / twoSigma2 - Math.LN2 + logErfc((i - z0) / sqrt2Sigma);
    const s1 = logBinomial + j * logQ + i * log1mQ + (j * j - j) / twoSigma2 - Math.LN2 + logErfc((z0 - j) / sqrt2Sigma);
    const both = logAdd(s0, s1);
    if (sign > 0) positive = logAdd(positive, both);
    else negative = logAdd(negative, both);
    if (i > alpha && Math.max(s0, s1) < -45) break;
  }
  return logSub(positive, negative);
}
