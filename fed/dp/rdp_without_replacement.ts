/**
 * Renyi DP of the Gaussian mechanism run on a uniformly random subset of a
 * fixed fraction gamma of the data, sampled without replacement, for
 * replace-one neighbours: the analytical bound of Wang, Balle, Kasiviswanathan
 * 2019 ("Subsampled Renyi Differential Privacy and Analytical Moments
 * Accountant"), Theorem 9, at integer orders, and its Corollary 10 (the CGF is
 * convex, so linear interpolation between integers bounds it) in between.
 * This is the bound autodp's `anaRDPacct.compose_subsampled_mechanism` uses
 * by default, which FedMed-GAN's privacy table was computed with
 * (DESIGN.md, "The reference code", Differential privacy). Pure math.
 */
import { logBinomials, logSumExp } from './logmath.js';

/**
 * Theorem 9's bound on the cumulant generating function (alpha - 1) eps'(alpha)
 * of one subsampled Gaussian step at integer alpha >= 2, in nats. With
 * eps(a) = a / (2 sigma^2) the Gaussian mechanism's RDP and eps(Infinity) =
 * Infinity (so each min{2, (e^{eps(inf)} - 1)^j} is 2):
 *   log(1 + gamma^2 C(alpha, 2) min{4 (e^{eps(2)} - 1), 2 e^{eps(2)}}
 *         + sum_{j=3}^{alpha} 2 gamma^j C(alpha, j) e^{(j - 1) eps(j)}),
 * and never more than the unsampled mechanism's (alpha - 1) eps(alpha).
 */
export function cgfWithoutReplacementGaussian(gamma: number, sigma: number, alpha: number): number {
  if (!Number.isInteger(alpha) || alpha < 2) {
    throw new RangeError(`cgfWithoutReplacementGaussian: alpha must be an integer >= 2, got ${alpha}`);
  }
  const eps = (a: number) => a / (2 * sigma * sigma);
  const binomials = logBinomials(alpha, alpha).log;
  const logGamma = Math.log(gamma);
  const eps2 = eps(2);
  const terms = [0, 2 * logGamma + binomials[2]! + Math.min(Math.log(4 * Math.expm1(eps2)), Math.LN2 + eps2)];
  for (let j = 3; j <= alpha; j++) terms.push(Math.LN2 + j * logGamma + binomials[j]! + (j - 1) * eps(j));
  return Math.min((alpha - 1) * eps(alpha), logSumExp(terms));
}

/**
 * The RDP curve alpha -> eps'(alpha) of one step, in nats, for orders alpha > 1.
 * Orders in (1, 2] take the bound at 2 (RDP grows with the order); between
 * integers the CGF is interpolated linearly (Corollary 10) and capped by the
 * unsampled mechanism's alpha / (2 sigma^2), as autodp does. The curve keeps
 * the integer-order CGFs it has computed, since callers sweep many orders.
 */
export function rdpCurveWithoutReplacement(gamma: number, sigma: number): (alpha: number) => number {
  const cgfs = new Map<number, number>();
  const cgf = (alpha: number): number => {
    let value = cgfs.get(alpha);
    if (value === undefined) cgfs.set(alpha, (value = cgfWithoutReplacementGaussian(gamma, sigma, alpha)));
    return value;
  };
  return (alpha) => {
    if (gamma === 0) return 0;
    if (sigma === 0 || alpha === Infinity) return Infinity;
    const unsampled = alpha / (2 * sigma * sigma);
    if (gamma === 1) return unsampled;
    if (alpha <= 2) return cgf(2);
    if (Number.isInteger(alpha)) return cgf(alpha) / (alpha - 1);
    const lo = Math.floor(alpha);
    const t = alpha - lo;
    return Math.min(unsampled, ((1 - t) * cgf(lo) + t * cgf(lo + 1)) / (alpha - 1));
  };
}

/** One step's RDP at order alpha > 1 (see rdpCurveWithoutReplacement). */
export function rdpWithoutReplacementGaussian(gamma: number, sigma: number, alpha: number): number {
  return rdpCurveWithoutReplacement(gamma, sigma)(alpha);
}
