// Point-wise losses (engine/backend.ts `pointLoss`, `pointLossBackward`):
// the mean of op(a - b) in one pass (float64 partial sums), and its gradient
// dy[0] op'(a - b) / n in one pass, b being a tensor or a constant.
import { LossOp } from './ops.generated';
import { LossParams } from './params';

/** The one work item: y[0] = the mean over i < n of op(a[i] - b[i]). */
export function pointLoss(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<LossParams>(params);
  let lanes = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= p.n; i += 4) {
    const v = lossOf(p.op, f32x4.sub(v128.load(p.a + (<usize>i << 2)), other(p, i)));
    lanes = f64x2.add(lanes, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1))));
  }
  let total = f64x2.extract_lane(lanes, 0) + f64x2.extract_lane(lanes, 1);
  for (; i < p.n; i++) {
    const d = load<f32>(p.a + (<usize>i << 2)) - (p.b ? load<f32>(p.b + (<usize>i << 2)) : p.target);
    total += <f64>f32x4.extract_lane(lossOf(p.op, f32x4.splat(d)), 0);
  }
  store<f32>(p.y, <f32>(total / <f64>p.n));
}

/** Chunks [begin, end): da[i] = dy[0] op'(a[i] - b[i]) / n. */
export function pointLossBackward(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<LossParams>(params);
  const scale = load<f32>(p.dy) / <f32>p.n;
  const vscale = f32x4.splat(scale);
  const i1 = min(p.n, end * p.chunk);
  let i = begin * p.chunk;
  for (; i + 4 <= i1; i += 4) {
    const d = f32x4.sub(v128.load(p.a + (<usize>i << 2)), other(p, i));
    v128.store(p.da + (<usize>i << 2), f32x4.mul(vscale, derivativeOf(p.op, d)));
  }
  for (; i < i1; i++) {
    const d = load<f32>(p.a + (<usize>i << 2)) - (p.b ? load<f32>(p.b + (<usize>i << 2)) : p.target);
    store<f32>(p.da + (<usize>i << 2), scale * f32x4.extract_lane(derivativeOf(p.op, f32x4.splat(d)), 0));
  }
}

/** b[i..i+4), or the constant target. */
@inline function other(p: LossParams, i: i32): v128 {
  return p.b ? v128.load(p.b + (<usize>i << 2)) : f32x4.splat(p.target);
}

@inline function lossOf(op: i32, d: v128): v128 {
  switch (op) {
    case LossOp.l1: return f32x4.abs(d);
    case LossOp.mse: return f32x4.mul(d, d);
    default: return unreachable();
  }
}

/** op'(d): l1's sign(d) (0 at 0), mse's 2d. */
@inline function derivativeOf(op: i32, d: v128): v128 {
  switch (op) {
    case LossOp.l1: {
      const one = f32x4.splat(1);
      const positive = v128.and(f32x4.gt(d, f32x4.splat(0)), one);
      const negative = v128.and(f32x4.lt(d, f32x4.splat(0)), one);
      return f32x4.sub(positive, negative);
    }
    case LossOp.mse: return f32x4.add(d, d);
    default: return unreachable();
  }
}
