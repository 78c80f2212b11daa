// Instance normalisation, forward and backward, one plane per work item
// (engine/backend.ts `instanceNorm`, `instanceNormBackward`), with an
// optional activation after the affine. Sums run four lanes wide, then
// across the lanes.
import { activationBackwardRange, unaryScalar, unaryVector } from './elementwise';
import { NormParams } from './params';

@inline function lanes(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** The sum of n values from x. */
function sumOf(x: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(x + (<usize>i << 2)));
  let total = lanes(acc);
  for (; i < n; i++) total += load<f32>(x + (<usize>i << 2));
  return total;
}

/** The sum of (x - mean)^2 over n values. */
function squaresAbout(x: usize, n: i32, mean: f32): f32 {
  const vm = f32x4.splat(mean);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(x + (<usize>i << 2)), vm);
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  let total = lanes(acc);
  for (; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - mean;
    total += d * d;
  }
  return total;
}

/** Planes [begin, end): y = (x - mean) rstd weight + bias, and the plane's mean and rstd. */
export function instanceNorm(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<NormParams>(params);
  const n = p.size;
  for (let plane = begin; plane < end; plane++) {
    const at = <usize>plane * <usize>n << 2;
    const x = p.x + at, y = p.y + at;
    const c = plane % p.channels;
    const mean = sumOf(x, n) / <f32>n;
    const rstd: f32 = 1 / Mathf.sqrt(squaresAbout(x, n, mean) / <f32>n + p.eps);
    const scale = p.weight ? load<f32>(p.weight + (<usize>c << 2)) * rstd : rstd;
    const shift = (p.bias ? load<f32>(p.bias + (<usize>c << 2)) : 0) - mean * scale;
    const vs = f32x4.splat(scale), vb = f32x4.splat(shift);
    const op = p.activation, alpha = p.activationAlpha, va = f32x4.splat(alpha);
    let i = 0;
    if (op < 0) {
      for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.add(f32x4.mul(v128.load(x + (<usize>i << 2)), vs), vb));
    } else {
      for (; i + 4 <= n; i += 4) {
        const v = f32x4.add(f32x4.mul(v128.load(x + (<usize>i << 2)), vs), vb);
        v128.store(y + (<usize>i << 2), unaryVector(op, v, va, va));
      }
    }
    for (; i < n; i++) {
      const v = load<f32>(x + (<usize>i << 2)) * scale + shift;
      store<f32>(y + (<usize>i << 2), op < 0 ? v : unaryScalar(op, v, alpha, alpha));
    }
    store<f32>(p.stats + (<usize>plane << 2), mean);
    store<f32>(p.stats + (<usize>(p.planes + plane) << 2), rstd);
  }
}


/**
 * Planes [begin, end) of the backward pass: dx, and the plane's sum of dy * xhat and of dy.
 * With an activation, its gradient goes into dx first (the plane is then in cache), and the
 * normalisation's backward reads it from there.
 */
export function instanceNormBackward(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<NormParams>(params);
  const n = p.size;
  for (let plane = begin; plane < end; plane++) {
    const at = <usize>plane * <usize>n << 2;
    const x = p.x + at, dx = p.dx + at;
    let dy = p.dy + at;
    if (p.activation >= 0) {
      activationBackwardRange(p.activation, p.activationAlpha, dy, p.y + at, dx, 0, n);
      dy = dx;
    }
    const mean = load<f32>(p.stats + (<usize>plane << 2));
    const rstd = load<f32>(p.stats + (<usize>(p.planes + plane) << 2));
    const vm = f32x4.splat(mean);
    let accDy = f32x4.splat(0), accDyX = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const g = v128.load(dy + (<usize>i << 2));
      accDy = f32x4.add(accDy, g);
      accDyX = f32x4.add(accDyX, f32x4.mul(g, f32x4.sub(v128.load(x + (<usize>i << 2)), vm)));
    }
    let sumDy = lanes(accDy), sumDyCentred = lanes(accDyX);
    for (; i < n; i++) {
      const g = load<f32>(dy + (<usize>i << 2));
      sumDy += g;
      sumDyCentred += g * (load<f32>(x + (<usize>i << 2)) - mean);
    }
    const sumDyXhat = sumDyCentred * rstd;
    store<f32>(p.dWeight + (<usize>plane << 2), sumDyXhat);
    store<f32>(p.dBias + (<usize>plane << 2), sumDy);
    // dx = w rstd (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - mean) rstd
    const scale = (p.weight ? load<f32>(p.weight + (<usize>(plane % p.channels) << 2)) : 1) * rstd;
    const meanDy = sumDy / <f32>n, slope = sumDyXhat * rstd / <f32>n;
    const vs = f32x4.splat(scale), vmd = f32x4.splat(meanDy), vsl = f32x4.splat(slope);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const centred = f32x4.sub(v128.load(x + (<usize>i << 2)), vm);
      const inner = f32x4.sub(f32x4.sub(v128.load(dy + (<usize>i << 2)), vmd), f32x4.mul(centred, vsl));
      v128.store(dx + (<usize>i << 2), f32x4.mul(vs, inner));
    }
    for (; i < n; i++) {
      const centred = load<f32>(x + (<usize>i << 2)) - mean;
      store<f32>(dx + (<usize>i << 2), scale * (load<f32>(dy + (<usize>i << 2)) - meanDy - centred * slope));
    }
  }
}
