// Transcendental functions on f32x4 lanes, for the element-wise kernels.
// Each has a scalar twin in AssemblyScript's Mathf (elementwise.ts's
// unaryScalar), which the remainder lanes use.

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
