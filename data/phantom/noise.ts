/**
 * Noise draws for the phantom from tables of quantiles: 16 random bits pick
 * an entry, so the complex noise of a voxel costs one 32-bit draw of the
 * engine's seeded Rng instead of two Box-Muller transforms.
 */

/**
 * 2^16 standard normal quantiles, Phi^-1((i + 0.5) / 2^16): the normal
 * distribution discretised, with tails cut at 4.3 sigma.
 */
export const normalTable = Float32Array.from({ length: 65536 }, (_, i) => inverseNormal((i + 0.5) / 65536));

/** 2^16 quantiles of the Rayleigh distribution (sigma 1), sqrt(-2 ln(1 - p)) at the same p. */
export const rayleighTable = Float32Array.from({ length: 65536 }, (_, i) => Math.sqrt(-2 * Math.log(1 - (i + 0.5) / 65536)));

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
