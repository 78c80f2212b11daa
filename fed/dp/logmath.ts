/**
 * Log-space arithmetic for the privacy accountant: sums, differences and
 * binomial coefficients of numbers stored as their logarithms, and log erfc
 * accurate far into the tail. The accountant's terms span hundreds of orders
 * of magnitude, so nothing here leaves log space until the end. Pure math.
 */

/** log(e^a + e^b), exact when either is -Infinity (a zero). */
export function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo === -Infinity) return hi;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(e^a - e^b) for a >= b; -Infinity when they are equal. */
export function logSub(a: number, b: number): number {
  if (a < b) throw new RangeError(`logSub: log-difference would be negative (a = ${a} < b = ${b})`);
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  return a + Math.log(-Math.expm1(b - a));
}

/** log(e^x - 1) for x > 0, without overflow for large x or loss of precision for small. */
export function logExpm1(x: number): number {
  return x > 30 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

/** log(sum of e^x over xs); -Infinity for an empty list. */
export function logSumExp(xs: readonly number[]): number {
  const hi = Math.max(...xs);
  if (hi === -Infinity || !Number.isFinite(hi)) return hi;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - hi);
  return hi + Math.log(sum);
}

/**
 * log |C(n, k)| for k = 0..kMax and any real n (the generalised binomial
 * coefficient n (n-1) ... (n-k+1) / k!), with its sign. Built by the ratio
 * C(n, k+1) = C(n, k) (n - k) / (k + 1); a zero factor (integer n < k) gives
 * -Infinity from then on.
 */
export function logBinomials(n: number, kMax: number): { log: Float64Array; sign: Int8Array } {
  const log = new Float64Array(kMax + 1);
  const sign = new Int8Array(kMax + 1);
  sign[0] = 1;
  for (let k = 0; k < kMax; k++) {
    const factor = n - k;
    log[k + 1] = log[k]! + Math.log(Math.abs(factor)) - Math.log(k + 1);
    sign[k + 1] = factor === 0 ? 0 : factor > 0 ? sign[k]! : -sign[k]!;
  }
  return { log, sign };
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/**
 * log(erfc(x)) for every real x, to about 1e-14 relative: the positive-term
 * series of erf below x = 2 (erfc is at least 4.7e-3 there, so 1 - erf loses
 * little), the continued fraction of erfc above it (where erfc underflows
 * long before its log does), and erfc(x) = 2 - erfc(-x) for negative x.
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return Math.log(2 - Math.exp(logErfc(-x)));
  if (x < 2) return Math.log1p(-erfSeries(x));
  if (x === Infinity) return -Infinity;
  return -x * x - LOG_SQRT_PI - Math.log(erfcContinuedFractionDenominator(x));
}

/** erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1 3 5 ... (2n+1)), all terms positive. */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/**
 * D(x) with erfc(x) = e^{-x^2} / (sqrt(pi) D(x)), from the continued fraction
 * D = x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...)))), evaluated by
 * the modified Lentz method.
 */
function erfcContinuedFractionDenominator(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}
