// Transcendental functions on f32x4 lanes. exp, log, tanh and sigmoid serve
// the element-wise kernels, with scalar twins in AssemblyScript's Mathf
// (elementwise.ts's unaryScalar) for the remainder lanes; log, sin and cos
// serve the Gaussian noise's Box-Muller (random.ts).

@inline function splat(v: f32): v128 {
  return f32x4.splat(v);
}

/**
 * exp, Cephes's expf (as in sse_mathfun): exp(x) = 2^n exp(r) with
 * n = round(x log2 e) and r = x - n ln 2 (ln 2 in two parts, so r is exact),
 * exp(r) by a degree-5 polynomial; relative error about 2e-7. 2^n is applied
 * as two halves so that n may reach 128 and the subnormal range: the result
 * is +inf past ln(FLT_MAX) and 0 below the smallest subnormal.
 */
@inline export function expSimd(x: v128): v128 {
  const hi = splat(88.72283935546875); // ln(FLT_MAX)
  const lo = splat(-103.97207708); // ln of the smallest subnormal
  const xc = f32x4.min(f32x4.max(x, lo), hi);
  const n = f32x4.nearest(f32x4.mul(xc, splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), splat(1));
  const k = i32x4.trunc_sat_f32x4_s(n);
  const k1 = i32x4.shr_s(k, 1);
  const k2 = i32x4.sub(k, k1);
  const bias = i32x4.splat(127);
  const y = f32x4.mul(f32x4.mul(p, i32x4.shl(i32x4.add(k1, bias), 23)), i32x4.shl(i32x4.add(k2, bias), 23));
  const inf = splat(Infinity);
  return v128.bitselect(inf, v128.bitselect(splat(0), y, f32x4.lt(x, lo)), f32x4.gt(x, hi));
}

/**
 * tanh as the odd rational minimax of degrees 13/6 that Eigen and
 * onnxruntime's MLAS use (MlasTanhConstants, onnxruntime/core/mlas/lib/tanh.cpp),
 * clamped to +-9 where tanh rounds to +-1. Odd in x, so small arguments keep
 * their relative accuracy instead of cancelling as 1 - 2 / (e^2x + 1) would.
 */
@inline export function tanhSimd(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, splat(-9)), splat(9));
  const x2 = f32x4.mul(xc, xc);
  let p = splat(-2.76076847742355e-16);
  p = f32x4.add(f32x4.mul(p, x2), splat(2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, x2), splat(-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, x2), splat(5.12229709037114e-08));
  p = f32x4.add(f32x4.mul(p, x2), splat(1.48572235717979e-05));
  p = f32x4.add(f32x4.mul(p, x2), splat(6.37261928875436e-04));
  p = f32x4.add(f32x4.mul(p, x2), splat(4.89352455891786e-03));
  let q = splat(1.19825839466702e-06);
  q = f32x4.add(f32x4.mul(q, x2), splat(1.18534705686654e-04));
  q = f32x4.add(f32x4.mul(q, x2), splat(2.26843463243900e-03));
  q = f32x4.add(f32x4.mul(q, x2), splat(4.89352518554385e-03));
  return f32x4.div(f32x4.mul(p, xc), q);
}

/**
 * sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with
 * e = exp(-|x|) <= 1: no overflow, and subnormal results where they belong.
 */
@inline export function sigmoidSimd(x: v128): v128 {
  const e = expSimd(f32x4.neg(f32x4.abs(x)));
  const s = f32x4.div(splat(1), f32x4.add(splat(1), e));
  return v128.bitselect(f32x4.mul(e, s), s, f32x4.lt(x, splat(0)));
}

/**
 * Natural log, Cephes's logf (as in sse_mathfun): x = 2^e m with m in
 * [sqrt(1/2), sqrt(2)), log(m) = f - f^2/2 + f^3 P(f) with f = m - 1 exact,
 * so arguments near 1 keep their relative accuracy; e ln 2 in two parts.
 * Relative error about 1e-7. Subnormals are scaled into the normal range
 * first; log(0) = -inf, log(+inf) = +inf, NaN for negatives and NaN.
 */
@inline export function logSimd(x: v128): v128 {
  const subnormal = f32x4.lt(x, splat(1.17549435e-38));
  const scaled = v128.bitselect(f32x4.mul(x, splat(33554432)), x, subnormal); // 2^25
  let e = i32x4.sub(i32x4.shr_u(scaled, 23), v128.and(subnormal, i32x4.splat(25)));
  let m = v128.or(v128.and(scaled, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000)); // m in [0.5, 1)
  const low = f32x4.lt(m, splat(0.707106781186547524));
  e = i32x4.add(e, v128.and(low, i32x4.splat(-1))); // e - 1 where m < sqrt(1/2), then m doubles
  const f = f32x4.sub(f32x4.add(m, v128.and(low, m)), splat(1));
  const ef = f32x4.convert_i32x4_s(i32x4.sub(e, i32x4.splat(126)));
  const z = f32x4.mul(f, f);
  let p = splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, f), splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(3.3333331174e-1));
  let y = f32x4.mul(f32x4.mul(p, f), z);
  y = f32x4.add(y, f32x4.mul(ef, splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, splat(0.5)));
  y = f32x4.add(f32x4.add(f, y), f32x4.mul(ef, splat(0.693359375)));
  const inf = splat(Infinity);
  y = v128.bitselect(f32x4.neg(inf), y, f32x4.eq(x, splat(0)));
  y = v128.bitselect(inf, y, f32x4.eq(x, inf));
  return v128.bitselect(splat(NaN), y, v128.not(f32x4.ge(x, splat(0)))); // negatives and NaN
}

/** The quadrant q = round(x 2/pi) of sinSimd and cosSimd, as i32 lanes. */
@inline function quadrant(x: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(x, splat(0.636619772367581343))));
}

/** x - q pi/2 in [-pi/4, pi/4], pi/2 in three parts (Cephes's DP1-DP3, doubled) so that it is exact for small q. */
@inline function reduceQuadrant(x: v128, q: v128): v128 {
  const qf = f32x4.convert_i32x4_s(q);
  let y = f32x4.sub(x, f32x4.mul(qf, splat(1.5703125)));
  y = f32x4.sub(y, f32x4.mul(qf, splat(4.837512969970703125e-4)));
  return f32x4.sub(y, f32x4.mul(qf, splat(7.54978995489188216e-8)));
}

/** sin on [-pi/4, pi/4], Cephes's sinf polynomial. */
@inline function sinReduced(y: v128): v128 {
  const z = f32x4.mul(y, y);
  let p = splat(-1.9515295891e-4);
  p = f32x4.add(f32x4.mul(p, z), splat(8.3321608736e-3));
  p = f32x4.add(f32x4.mul(p, z), splat(-1.6666654611e-1));
  return f32x4.add(y, f32x4.mul(f32x4.mul(p, z), y));
}

/** cos on [-pi/4, pi/4], Cephes's cosf polynomial. */
@inline function cosReduced(y: v128): v128 {
  const z = f32x4.mul(y, y);
  let p = splat(2.443315711809948e-5);
  p = f32x4.add(f32x4.mul(p, z), splat(-1.388731625493765e-3));
  p = f32x4.add(f32x4.mul(p, z), splat(4.166664568298827e-2));
  return f32x4.add(f32x4.sub(splat(1), f32x4.mul(z, splat(0.5))), f32x4.mul(f32x4.mul(p, z), z));
}

/** The sign bit where bit 1 of the i32 lanes q is set (quadrants 2 and 3 mod 4 are negative). */
@inline function signOfQuadrant(q: v128): v128 {
  return i32x4.shl(i32x4.shr_u(q, 1), 31);
}

/**
 * sin for |x| up to a few pi (the range reduction is Cody-Waite's in f32,
 * accurate there, not for large arguments); absolute error about 1e-7.
 * sin(q pi/2 + y) is sin y, cos y, -sin y, -cos y for q mod 4 = 0..3.
 */
@inline export function sinSimd(x: v128): v128 {
  const q = quadrant(x);
  const y = reduceQuadrant(x, q);
  const odd = i32x4.eq(v128.and(q, i32x4.splat(1)), i32x4.splat(1));
  return v128.xor(v128.bitselect(cosReduced(y), sinReduced(y), odd), signOfQuadrant(q));
}

/** cos for the arguments sinSimd takes: cos(x) = sin(x + pi/2), the quadrant moved by one, y the same. */
@inline export function cosSimd(x: v128): v128 {
  const q = quadrant(x);
  const y = reduceQuadrant(x, q);
  const odd = i32x4.eq(v128.and(q, i32x4.splat(1)), i32x4.splat(1));
  return v128.xor(v128.bitselect(sinReduced(y), cosReduced(y), odd), signOfQuadrant(i32x4.add(q, i32x4.splat(1))));
}
