// Instance normalisation, forward and backward, one plane per work item
// (engine/backend.ts `instanceNorm`, `instanceNormBackward`), with an
// optional activation after the affine. A plane's sums are sums.ts's: f32
// lanes within blocks, f64 across them.
import { activationBackwardRange, unaryScalar, unaryVector } from './elementwise';
import { NormParams } from './params';
import { blockEnd, lanesF64, squaresAbout, sumOf } from './sums';

/** Planes [begin, end): y = (x - mean) rstd weight + bias, and the plane's mean and rstd. */
export function instanceNorm(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<NormParams>(params);
  const n = p.size;
  for (let plane = begin; plane < end; plane++) {
    const at = <usize>plane * <usize>n << 2;
    const x = p.x + at, y = p.y + at;
    const c = plane % p.channels;
    const mean = <f32>(sumOf(x, n) / <f64>n);
    const rstd = <f32>(1 / Math.sqrt(squaresAbout(x, n, mean) / <f64>n + <f64>p.eps));
    // Centred before scaling: x scale - mean scale cancels to nothing where mean is large and rstd too.
    const scale = p.weight ? load<f32>(p.weight + (<usize>c << 2)) * rstd : rstd;
    const bias: f32 = p.bias ? load<f32>(p.bias + (<usize>c << 2)) : 0;
    const vm = f32x4.splat(mean), vs = f32x4.splat(scale), vb = f32x4.splat(bias);
    const op = p.activation, alpha = p.activationAlpha, va = f32x4.splat(alpha);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + (<usize>i << 2)), vm), vs), vb);
      v128.store(y + (<usize>i << 2), op < 0 ? v : unaryVector(op, v, va, va));
    }
    for (; i < n; i++) {
      const v = (load<f32>(x + (<usize>i << 2)) - mean) * scale + bias;
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
    let sumDy: f64 = 0, sumDyCentred: f64 = 0;
    let i = 0;
    while (i + 4 <= n) {
      let accDy = f32x4.splat(0), accDyX = f32x4.splat(0);
      const blockStop = blockEnd(i, n, 4);
      for (; i < blockStop; i += 4) {
        const g = v128.load(dy + (<usize>i << 2));
        accDy = f32x4.add(accDy, g);
        accDyX = f32x4.add(accDyX, f32x4.mul(g, f32x4.sub(v128.load(x + (<usize>i << 2)), vm)));
      }
      sumDy += lanesF64(accDy);
      sumDyCentred += lanesF64(accDyX);
    }
    for (; i < n; i++) {
      const g = load<f32>(dy + (<usize>i << 2));
      sumDy += <f64>g;
      sumDyCentred += <f64>(g * (load<f32>(x + (<usize>i << 2)) - mean));
    }
    const sumDyXhat = <f32>(sumDyCentred * <f64>rstd);
    store<f32>(p.dWeight + (<usize>plane << 2), sumDyXhat);
    store<f32>(p.dBias + (<usize>plane << 2), <f32>sumDy);
    // dx = w rstd (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - mean) rstd
    const scale = (p.weight ? load<f32>(p.weight + (<usize>(plane % p.channels) << 2)) : 1) * rstd;
    const meanDy = <f32>(sumDy / <f64>n), slope = sumDyXhat * rstd / <f32>n;
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
