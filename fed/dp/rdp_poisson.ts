/**
 * Renyi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar,
 * Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism",
 * Section 3.3): each record joins a step's batch independently with
 * probability q, the batch's sum of clipped gradients (sensitivity 1) gets
 * N(0, sigma^2) noise. At every order alpha > 1, integer or not, for every
 * q in (0, 1] and sigma > 0, to near double precision. Pure math.
 */
import { logAdd, logBinomials, logErfc, logExpm1, logSub, logSumExp } from './logmath.js';

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
 * A_alpha = sum_{i=0}^{alpha} C(alpha, i) q^i (1-q)^{alpha-i} exp((i^2 - i) / (2 sigma^2)),
 * summed as A_alpha - 1 = sum_{i=2}^{alpha} C(alpha, i) q^i (1-q)^{alpha-i} expm1((i^2 - i) / (2 sigma^2))
 * (the binomial weights sum to 1): positive terms only, so log A keeps full
 * relative precision however close A is to 1 (much noise).
 */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const binomials = logBinomials(alpha, alpha).log;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const terms: number[] = [];
  for (let i = 2; i <= alpha; i++) {
    const exponent = (i * i - i) / (2 * sigma * sigma);
    terms.push(binomials[i]! + i * logQ + (alpha - i) * log1mQ + logExpm1(exponent));
  }
  return logAdd(0, logSumExp(terms)); // log(1 + (A - 1))
}

/**
 * Fractional alpha (paper, Section 3.3): A_alpha = A0 + A1, the integrals
 * over z <= z0 and z >= z0, z0 = sigma^2 log(1/q - 1) + 1/2, where the two
 * parts of the mixture are equal. Each is a generalised binomial series in
 * the ratio of the parts, which is 1 at z0, so past the first terms the
 * series falls only as i^-(alpha+2), times e^{-z0^2 / (2 sigma^2)} (the
 * Gaussian's weight at z0). Where that weight is below e^-60 the series is
 * summed (its terms fall to e^-45 before the slow tail matters); else (q
 * near 1/2 for the noise, e.g. q = 0.5 and sigma >= 6.5, where a million
 * terms did not reach e^-45) A_alpha - 1 is integrated numerically.
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  const z0OverSigma = sigma * Math.log(1 / q - 1) + 0.5 / sigma; // finite where sigma^2 overflows
  if ((z0OverSigma * z0OverSigma) / 2 < SLOW_TAIL_WEIGHT) return logAFractionalQuadrature(q, sigma, alpha);
  // The series subtracts its negative terms at the end: rounding can leave log A a few 1e-16 below 0, never truly.
  return Math.max(0, logAFractionalSeries(q, sigma, alpha, sigma * z0OverSigma));
}

/** -log of the series' slow tail's weight below which the series is summed (e^-60, below the e^-45 cut-off). */
const SLOW_TAIL_WEIGHT = 60;

/** A guard against a bug: where it is summed, the series reaches its cut-off within a few thousand terms. */
const MAX_SERIES_TERMS = 1_000_000;

/**
 * The series (paper, Section 3.3; the generalised binomial coefficients
 * alternate in sign once i > alpha):
 *   A0 = sum_i C(alpha, i) q^i (1-q)^{alpha-i} e^{(i^2-i)/(2 sigma^2)} erfc((i - z0) / (sqrt2 sigma)) / 2
 *   A1 = sum_i C(alpha, i) q^{alpha-i} (1-q)^i e^{(j^2-j)/(2 sigma^2)} erfc((z0 - j) / (sqrt2 sigma)) / 2,  j = alpha - i.
 * Summed past i = alpha until both terms fall below e^-45: A_alpha >= 1 (by
 * Jensen), so the tail left out is below double precision. (TF-Privacy and
 * Opacus stop at e^-30, which leaves about 1e-14 of A, visible when log A is tiny.)
 */
function logAFractionalSeries(q: number, sigma: number, alpha: number, z0: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  // Positive and negative parts accumulated apart, subtracted once at the end.
  let positive = -Infinity;
  let negative = -Infinity;
  let logBinomial = 0;
  let sign = 1;
  for (let i = 0; ; i++) {
    if (i > MAX_SERIES_TERMS) throw new Error(`RDP: the series for q = ${q}, sigma = ${sigma}, order ${alpha} did not converge`);
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

/**
 * log A_alpha from A_alpha - 1 = E_z [g(q (e^u - 1))], z ~ N(0, sigma^2),
 * u = (2z - 1) / (2 sigma^2), g(y) = (1 + y)^alpha - 1 - alpha y: the mixture
 * ratio's mean is 1 (E e^u = 1), so subtracting 1 + alpha y changes nothing,
 * and g >= 0 (convexity), so the sum has no cancellation and keeps
 * A_alpha - 1 to full relative precision however small. The integrand is
 * analytic in a strip |Im z| < min(pi sigma^2, a few sigma), where the
 * trapezoid rule's error falls as e^{-2 pi width / h}: with h a quarter of
 * min(sigma, sigma^2) it is below e^-60. The mass lies in
 * [-14 sigma, alpha + 14 sigma] (Gaussian bumps at 0, 1 and alpha).
 */
function logAFractionalQuadrature(q: number, sigma: number, alpha: number): number {
  const h = Math.min(sigma, sigma * sigma) / 4;
  const from = -QUADRATURE_SPAN * sigma;
  const points = Math.ceil((alpha + 2 * QUADRATURE_SPAN * sigma) / h) + 1;
  const logQ = Math.log(q);
  const logNormaliser = Math.log(sigma * Math.sqrt(2 * Math.PI));
  const logs = new Float64Array(points);
  let top = -Infinity;
  for (let k = 0; k < points; k++) {
    const t = (from + k * h) / sigma; // z / sigma, so that nothing squares sigma (which may overflow)
    const u = (t - 0.5 / sigma) / sigma;
    logs[k] = -(t * t) / 2 - logNormaliser + logBinomialRemainder(alpha, logQ, u);
    top = Math.max(top, logs[k]!);
  }
  if (top === -Infinity) return 0;
  let sum = 0;
  for (let k = 0; k < points; k++) sum += Math.exp(logs[k]! - top);
  return logAdd(0, top + Math.log(sum * h)); // log(1 + (A - 1))
}

/** Standard deviations of room either side of the integrand's bumps: e^{-14^2/2} = e^-98 left out. */
const QUADRATURE_SPAN = 14;

/**
 * log g(y) = log((1 + y)^alpha - 1 - alpha y) for y = q (e^u - 1), from u, in
 * logs where (1 + y)^alpha would overflow; by its power series
 * sum_{k >= 2} C(alpha, k) y^k where |alpha y| < 1/2 (the direct form would
 * cancel there).
 */
function logBinomialRemainder(alpha: number, logQ: number, u: number): number {
  if (u === 0) return -Infinity;
  const logAbsY = logQ + (u > 0 ? logExpm1(u) : Math.log(-Math.expm1(u)));
  const y = Math.sign(u) * Math.exp(logAbsY);
  if (Math.abs(alpha * y) < 0.5) {
    let term = (alpha * (alpha - 1)) / 2; // C(alpha, k) y^(k-2) from k = 2
    let sum = term;
    for (let k = 2; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
      term *= ((alpha - k) / (k + 1)) * y;
      sum += term;
    }
    return 2 * logAbsY + Math.log(sum);
  }
  if (u < 0) return Math.log(Math.expm1(alpha * Math.log1p(y)) - alpha * y); // y in [-q, -1/(2 alpha)]: bounded
  const logPower = alpha * logAdd(0, logAbsY); // log (1 + y)^alpha
  const logLinear = logAdd(0, Math.log(alpha) + logAbsY); // log(1 + alpha y)
  return logPower + Math.log(-Math.expm1(logLinear - logPower));
}
