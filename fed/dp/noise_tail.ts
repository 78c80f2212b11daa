/**
 * The delta the noise's cut tail costs outside the accountant (DESIGN.md,
 * "The noise's tail"). The noise fedmed draws (Box-Muller on Philox, u1 from
 * 41 bits: engine/backends/js/random.ts radiusUniform) puts each pair of
 * coordinates within radius R = sqrt(82 ln 2) of zero, in units of the noise's
 * std. A neighbour whose sum is shifted by s (same units) can then give
 * outputs the other cannot, and the chance of one is delta that no accountant
 * sees: with d noised coordinates, at most R e^(-R^2/2) sqrt(d) s (the shift
 * spread over every pair, the ring each pair's shift reaches; Cauchy-Schwarz
 * over the d/2 pairs gives sqrt(d/2), and sqrt(2) is kept as margin) plus
 * e^(-(R - s)^2/2) (the shift held by one pair), 1 once s reaches R. Under
 * Poisson sampling a group of k units shifts the step's sum by m / sigma when
 * m of them are drawn, m binomial in (k, q). Pure math.
 */
import type { AccountingOptions, GaussianSteps } from './accountant.js';
import { logBinomials } from './logmath.js';

/** The largest radius the noise reaches, in noise stds: sqrt(-2 ln 2^-41). */
export const NOISE_RADIUS = Math.sqrt(82 * Math.LN2);

/** Chance that a shift of `shift` noise stds, spread over `parameters` coordinates as badly as it can be, leaves the cut noise's support. */
function cutChance(shift: number, parameters: number): number {
  const R = NOISE_RADIUS;
  if (shift >= R) return 1;
  return Math.min(1, R * Math.exp((-R * R) / 2) * Math.sqrt(parameters) * shift + Math.exp(-((R - shift) ** 2) / 2));
}

/** What the noise's cut tail takes of delta, and what it leaves the accountant (null: nothing). */
export type NoiseTailPaid = { tail: number; delta: number } | { tail: number; delta: null };

/**
 * The tail paid out of `options.delta` over `runs` for a group of `group`
 * units: nothing without `options.noisedParameters` (exact Gaussian noise
 * assumed). The ledger and `fedmed privacy` both account this way.
 */
export function payNoiseTail(runs: readonly GaussianSteps[], options: AccountingOptions, group: number): NoiseTailPaid {
  const tail = options.noisedParameters === undefined ? 0 : noiseTailDelta(runs, { parameters: options.noisedParameters, group });
  return { tail, delta: tail < options.delta ? options.delta - tail : null };
}

/**
 * The delta outside the accountant over `runs` for a group of `group` units
 * (1: one privacy unit) when `parameters` coordinates are noised: each step's
 * chance, summed (a union bound over the steps), at most 1.
 */
export function noiseTailDelta(runs: readonly GaussianSteps[], o: { parameters: number; group: number }): number {
  let total = 0;
  const binomials = logBinomials(o.group, o.group).log;
  for (const { noise, q, steps } of runs) {
    if (steps === 0) continue;
    if (!(noise > 0)) return 1; // no noise: nothing hides the shift
    let perStep = 0;
    for (let m = 1; m <= o.group; m++) {
      const drawn = q === 1 ? (m === o.group ? 1 : 0) : Math.exp(binomials[m]! + m * Math.log(q) + (o.group - m) * Math.log1p(-q));
      perStep += drawn * cutChance(m / noise, o.parameters);
    }
    total += steps * perStep;
    if (total >= 1) return 1;
  }
  return total;
}
