// Element-wise kernels: fill, the unary ops of engine/backend.ts's UnaryOp
// (same order), and broadcasting binary ops. Work items are chunks of
// elements (unary) or of output rows (binary).
import { expSimd, sigmoidSimd, tanhSimd } from './mathf';
import { BinaryParams, UnaryParams } from './params';

// UnaryOp, in the order of unaryOps in engine/backend.ts.
const AFFINE = 0, ABS = 1, SIGN = 2, SQUARE = 3, SQRT = 4, EXP = 5, LOG = 6, RELU = 7, STEP = 8;
const TANH = 9, SIGMOID = 10, LEAKY_RELU = 11, LEAKY_RELU_GRAD = 12, CLAMP = 13;

// BinaryOp, in the order of binaryOps.
const ADD = 0, SUB = 1, MUL = 2, DIV = 3;

/** y[i] = value for i < n, four lanes at a time. */
export function fill(y: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), value);
}

/** The scalar twin of unaryVector, for remainder lanes, and the only path for log. */
@inline export function unaryScalar(op: i32, x: f32, alpha: f32, beta: f32): f32 {
  switch (op) {
    case AFFINE: return alpha * x + beta;
    case ABS: return Mathf.abs(x);
    case SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case SQUARE: return x * x;
    case SQRT: return Mathf.sqrt(x);
    case EXP: return Mathf.exp(x);
    case LOG: return Mathf.log(x);
    case RELU: return x > 0 ? x : 0;
    case STEP: return x > 0 ? 1 : 0;
    case TANH: return Mathf.tanh(x);
    case SIGMOID: return 1 / (1 + Mathf.exp(-x));
    case LEAKY_RELU: return x > 0 ? x : alpha * x;
    case LEAKY_RELU_GRAD: return x > 0 ? 1 : alpha;
    case CLAMP: return Mathf.min(Mathf.max(x, alpha), beta);
  }
  return x;
}

@inline function hasVectorForm(op: i32): bool {
  return op != LOG;
}

@inline export function unaryVector(op: i32, x: v128, alpha: v128, beta: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case AFFINE: return f32x4.add(f32x4.mul(alpha, x), beta);
    case ABS: return f32x4.abs(x);
    case SIGN: return f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
    case SQUARE: return f32x4.mul(x, x);
    case SQRT: return f32x4.sqrt(x);
    case EXP: return expSimd(x);
    case TANH: return tanhSimd(x);
    case SIGMOID: return sigmoidSimd(x);
    case RELU: return v128.and(x, f32x4.gt(x, zero));
    case STEP: return v128.and(f32x4.gt(x, zero), one);
    case LEAKY_RELU: return v128.bitselect(x, f32x4.mul(alpha, x), f32x4.gt(x, zero));
    case LEAKY_RELU_GRAD: return v128.bitselect(one, alpha, f32x4.gt(x, zero));
    case CLAMP: return f32x4.min(f32x4.max(x, alpha), beta);
  }
  return x;
}

/**
 * y = op(x) for i in [i0, i1). Inlined with a constant op at each call site
 * below, so that every op gets its own loop, with its constants hoisted.
 */
@inline function unaryRange(op: i32, x: usize, y: usize, i0: i32, i1: i32, alpha: f32, beta: f32): void {
  let i = i0;
  if (hasVectorForm(op)) {
    const va = f32x4.splat(alpha);
    const vb = f32x4.splat(beta);
    for (; i + 4 <= i1; i += 4) {
      const at = <usize>i << 2;
      v128.store(y + at, unaryVector(op, v128.load(x + at), va, vb));
    }
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
    case AFFINE: unaryRange(AFFINE, x, y, i0, i1, a, b); break;
    case ABS: unaryRange(ABS, x, y, i0, i1, a, b); break;
    case SIGN: unaryRange(SIGN, x, y, i0, i1, a, b); break;
    case SQUARE: unaryRange(SQUARE, x, y, i0, i1, a, b); break;
    case SQRT: unaryRange(SQRT, x, y, i0, i1, a, b); break;
    case EXP: unaryRange(EXP, x, y, i0, i1, a, b); break;
    case LOG: unaryRange(LOG, x, y, i0, i1, a, b); break;
    case RELU: unaryRange(RELU, x, y, i0, i1, a, b); break;
    case STEP: unaryRange(STEP, x, y, i0, i1, a, b); break;
    case TANH: unaryRange(TANH, x, y, i0, i1, a, b); break;
    case SIGMOID: unaryRange(SIGMOID, x, y, i0, i1, a, b); break;
    case LEAKY_RELU: unaryRange(LEAKY_RELU, x, y, i0, i1, a, b); break;
    case LEAKY_RELU_GRAD: unaryRange(LEAKY_RELU_GRAD, x, y, i0, i1, a, b); break;
    case CLAMP: unaryRange(CLAMP, x, y, i0, i1, a, b); break;
  }
}

@inline function binaryScalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
  }
  return a / b;
}

@inline function binaryVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
  }
  return f32x4.div(a, b);
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
