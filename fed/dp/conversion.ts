/**
 * From Renyi DP to (epsilon, delta)-DP. A mechanism that is (alpha, r)-RDP is
 * (epsilon, delta)-DP for every alpha > 1, so the accountant takes the
 * smallest epsilon over the orders it knows. Two conversions:
 * - 'balle2020': Balle, Barthe, Gaboardi, Hsu, Sato 2020 ("Hypothesis testing
 *   interpretations and Renyi differential privacy"), Theorem 21,
 *   epsilon = r + log((alpha - 1) / alpha) - (log delta + log alpha) / (alpha - 1),
 *   as Opacus's `get_privacy_spent` computes it;
 * - 'mironov2017': Mironov 2017 ("Renyi Differential Privacy"), Proposition 3,
 *   epsilon = r + log(1 / delta) / (alpha - 1), as autodp's `get_eps` and the
 *   older TF-Privacy compute it (looser, but the one FedMed-GAN's table used).
 * Pure math.
 */

export type Conversion = 'balle2020' | 'mironov2017';

export const conversions: readonly Conversion[] = ['balle2020', 'mironov2017'];

/** The epsilon that (alpha, rdp)-RDP implies at delta; never negative. Infinity when rdp is. */
export function epsilonFromRdp(rdp: number, alpha: number, delta: number, conversion: Conversion): number {
  if (!(alpha > 1)) throw new RangeError(`epsilonFromRdp: the order must be > 1, got ${alpha}`);
  const epsilon =
    conversion === 'balle2020'
      ? rdp + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1)
      : rdp - Math.log(delta) / (alpha - 1);
  return Math.max(0, epsilon);
}

/** The smallest epsilon over paired orders and RDP values, and the order that gives it. */
export function bestEpsilon(
  orders: readonly number[],
  rdps: readonly number[],
  delta: number,
  conversion: Conversion,
): { epsilon: number; order: number } {
  if (orders.length !== rdps.length) throw new RangeError(`bestEpsilon: ${orders.length} orders but ${rdps.length} RDP values`);
  let best = { epsilon: Infinity, order: NaN };
  orders.forEach((order, i) => {
    const epsilon = epsilonFromRdp(rdps[i]!, order, delta, conversion);
    if (epsilon < best.epsilon) best = { epsilon, order };
  });
  return best;
}
