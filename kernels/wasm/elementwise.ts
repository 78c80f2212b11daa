// Element-wise kernels: fill, the unary ops of kernels/ops.json
// (codes from ops.generated.ts), and broadcasting binary ops. Work items are chunks of
// elements (unary) or of output rows (binary).
import { expSimd, logSimd, sigmoidSimd, tanhSimd } from './mathf';
import { ActivationParams, BinaryParams, UnaryParams } from './params';
import { BinaryOp, UnaryOp } from './ops.generated';

/** y[i] = value for i < n, four lanes at a time; zeros (every alloc's) by memory.fill, the engine's memset. */
export function fill(y: usize, n: i32, value: f32): void {
  if (reinterpret<u32>(value) == 0) {
    memory.fill(y, 0, <usize>n << 2);
    return;
  }
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), value);
}

/** The scalar twin of unaryVector, for remainder lanes. */
@inline export function unaryScalar(op: i32, x: f32, alpha: f32, beta: f32): f32 {
  switch (op) {
    case UnaryOp.affine: return alpha * x + beta;
    case UnaryOp.abs: return Mathf.abs(x);
    case UnaryOp.sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case UnaryOp.square: return x * x;
    case UnaryOp.sqrt: return Mathf.sqrt(x);
    case UnaryOp.exp: return Mathf.exp(x);
    case UnaryOp.log: return Mathf.log(x);
    case UnaryOp.relu: return x <= 0 ? 0 : x; // NaN stays NaN, as in PyTorch
    case UnaryOp.step: return x <= 0 ? 0 : 1;
    case UnaryOp.tanh: return Mathf.tanh(x);
    case UnaryOp.sigmoid: return 1 / (1 + Mathf.exp(-x));
    case UnaryOp.leakyRelu: return x > 0 ? x : alpha * x;
    case UnaryOp.leakyReluGrad: return x > 0 ? 1 : alpha;
    case UnaryOp.clamp: return Mathf.min(Mathf.max(x, alpha), beta); // wasm's min and max keep NaN
  }
  return x;
}

@inline export function unaryVector(op: i32, x: v128, alpha: v128, beta: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case UnaryOp.affine: return f32x4.add(f32x4.mul(alpha, x), beta);
    case UnaryOp.abs: return f32x4.abs(x);
    case UnaryOp.sign: return f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
    case UnaryOp.square: return f32x4.mul(x, x);
    case UnaryOp.sqrt: return f32x4.sqrt(x);
    case UnaryOp.exp: return expSimd(x);
    case UnaryOp.log: return logSimd(x);
    case UnaryOp.tanh: return tanhSimd(x);
    case UnaryOp.sigmoid: return sigmoidSimd(x);
    // x <= 0 is false for NaN, so relu keeps it and step passes it, as PyTorch (same op count as a > 0 mask).
    case UnaryOp.relu: return v128.andnot(x, f32x4.le(x, zero));
    case UnaryOp.step: return v128.andnot(one, f32x4.le(x, zero));
    case UnaryOp.leakyRelu: return v128.bitselect(x, f32x4.mul(alpha, x), f32x4.gt(x, zero));
    case UnaryOp.leakyReluGrad: return v128.bitselect(one, alpha, f32x4.gt(x, zero));
    case UnaryOp.clamp: return f32x4.min(f32x4.max(x, alpha), beta);
  }
  return x;
}

/**
 * The derivative of activation `op` (relu, leakyRelu with alpha >= 0, tanh)
 * read off its output y: y > 0 exactly where the input is; d tanh = 1 - y^2.
 */
@inline export function activationSlopeScalar(op: i32, y: f32, alpha: f32): f32 {
  if (op == UnaryOp.tanh) return 1 - y * y;
  return unaryScalar(op == UnaryOp.relu ? UnaryOp.step : UnaryOp.leakyReluGrad, y, alpha, alpha);
}

@inline export function activationSlopeVector(op: i32, y: v128, alpha: v128): v128 {
  if (op == UnaryOp.tanh) return f32x4.sub(f32x4.splat(1), f32x4.mul(y, y));
  return unaryVector(op == UnaryOp.relu ? UnaryOp.step : UnaryOp.leakyReluGrad, y, alpha, alpha);
}

/** dx = dy taken back through activation op, its derivative read off y, for i in [i0, i1). */
export function activationBackwardRange(op: i32, alpha: f32, dy: usize, y: usize, dx: usize, i0: i32, i1: i32): void {
  const va = f32x4.splat(alpha);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const at = <usize>i << 2;
    v128.store(dx + at, f32x4.mul(v128.load(dy + at), activationSlopeVector(op, v128.load(y + at), va)));
  }
  for (; i < i1; i++) {
    const at = <usize>i << 2;
    store<f32>(dx + at, load<f32>(dy + at) * activationSlopeScalar(op, load<f32>(y + at), alpha));
  }
}

/** Chunks [begin, end) of dx = dy * the activation's derivative (engine/backend.ts `activationBackward`). */
export function activationBackward(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ActivationParams>(params);
  activationBackwardRange(p.op, p.alpha, p.dy, p.y, p.dx, begin * p.chunk, min(p.n, end * p.chunk));
}

/**
 * y = op(x) for i in [i0, i1). Inlined with a constant op at each call site
 * below, so that every op gets its own loop, with its constants hoisted.
 */
@inline function unaryRange(op: i32, x: usize, y: usize, i0: i32, i1: i32, alpha: f32, beta: f32): void {
  let i = i0;
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  for (; i + 4 <= i1; i += 4) {
    const at = <usize>i << 2;
    v128.store(y + at, unaryVector(op, v128.load(x + at), va, vb));
  }
  for (; i < i1; i++) {
    const at = <usize>i << 2;
    store<f32>(y + at, unaryScalar(op, load<f32>(x + at), alpha, beta));
  }
}

/** Chunks [begin, end) of y = op(x). */
export function unary(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<UnaryParams>(params);
  const i0 = begin * p.chunk;
  const i1 = min(p.n, end * p.chunk);
  const x = p.x, y = p.y, a = p.alpha, b = p.beta;
  switch (p.op) {
    case UnaryOp.affine: unaryRange(UnaryOp.affine, x, y, i0, i1, a, b); break;
    case UnaryOp.abs: unaryRange(UnaryOp.abs, x, y, i0, i1, a, b); break;
    case UnaryOp.sign: unaryRange(UnaryOp.sign, x, y, i0, i1, a, b); break;
    case UnaryOp.square: unaryRange(UnaryOp.square, x, y, i0, i1, a, b); break;
    case UnaryOp.sqrt: unaryRange(UnaryOp.sqrt, x, y, i0, i1, a, b); break;
    case UnaryOp.exp: unaryRange(UnaryOp.exp, x, y, i0, i1, a, b); break;
    case UnaryOp.log: unaryRange(UnaryOp.log, x, y, i0, i1, a, b); break;
    case UnaryOp.relu: unaryRange(UnaryOp.relu, x, y, i0, i1, a, b); break;
    case UnaryOp.step: unaryRange(UnaryOp.step, x, y, i0, i1, a, b); break;
    case UnaryOp.tanh: unaryRange(UnaryOp.tanh, x, y, i0, i1, a, b); break;
    case UnaryOp.sigmoid: unaryRange(UnaryOp.sigmoid, x, y, i0, i1, a, b); break;
    case UnaryOp.leakyRelu: unaryRange(UnaryOp.leakyRelu, x, y, i0, i1, a, b); break;
    case UnaryOp.leakyReluGrad: unaryRange(UnaryOp.leakyReluGrad, x, y, i0, i1, a, b); break;
    case UnaryOp.clamp: unaryRange(UnaryOp.clamp, x, y, i0, i1, a, b); break;
  }
}

@inline function binaryScalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case BinaryOp.add: return a + b;
    case BinaryOp.sub: return a - b;
    case BinaryOp.mul: return a * b;
  }
  return a / b; // BinaryOp.div
}

@inline function binaryVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case BinaryOp.add: return f32x4.add(a, b);
    case BinaryOp.sub: return f32x4.sub(a, b);
    case BinaryOp.mul: return f32x4.mul(a, b);
  }
  return f32x4.div(a, b); // BinaryOp.div
}

/** One innermost run: y[i] = a[i * sa] op b[i * sb] for i < n, vectorised when each stride is 0 or 1. */
function binaryRun(op: i32, a: usize, sa: i32, b: usize, sb: i32, y: usize, n: i32): void {
  let i = 0;
  if ((sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
    const stepA: usize = sa == 1 ? 16 : 0;
    const stepB: usize = sb == 1 ? 16 : 0;
    const va0 = v128.load32_splat(a);
    const vb0 = v128.load32_splat(b);
    let pa = a, pb = b, py = y;
    for (; i + 4 <= n; i += 4) {
      const va = sa == 1 ? v128.load(pa) : va0;
      const vb = sb == 1 ? v128.load(pb) : vb0;
      v128.store(py, binaryVector(op, va, vb));
      pa += stepA;
      pb += stepB;
      py += 16;
    }
  }
  for (; i < n; i++) {
    store<f32>(y + (<usize>i << 2), binaryScalar(op, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2))));
  }
}

/** Output rows [begin, end) (all axes but the last) of y = a op b. */
export function binary(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<BinaryParams>(params);
  const r = p.rank;
  const shape = params + offsetof<BinaryParams>('shape0');
  const aStrides = params + offsetof<BinaryParams>('aStride0');
  const bStrides = params + offsetof<BinaryParams>('bStride0');
  const n = load<i32>(shape + (<usize>(r - 1) << 2));
  const sa = load<i32>(aStrides + (<usize>(r - 1) << 2));
  const sb = load<i32>(bStrides + (<usize>(r - 1) << 2));
  for (let row = begin; row < end; row++) {
    // Unravel the row index over axes r-2 .. 0.
    let rest = row;
    let offA = 0, offB = 0;
    for (let d = r - 2; d >= 0; d--) {
      const size = load<i32>(shape + (<usize>d << 2));
      const idx = rest % size;
      rest /= size;
      offA += idx * load<i32>(aStrides + (<usize>d << 2));
      offB += idx * load<i32>(bStrides + (<usize>d << 2));
    }
    binaryRun(p.op, p.a + (<usize>offA << 2), sa, p.b + (<usize>offB << 2), sb, p.y + (<usize>(row * n) << 2), n);
  }
}
