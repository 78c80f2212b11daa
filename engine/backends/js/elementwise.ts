import type { Activation, BinaryOp, BroadcastGeometry, Handle, UnaryOp } from '../../backend.js';
import { arr, forEachIndex, offsetOf } from './storage.js';

export const unaryFns: Record<UnaryOp, (x: number, alpha: number, beta: number) => number> = {
  affine: (x, a, b) => a * x + b,
  abs: (x) => Math.abs(x),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), // 0 at NaN, as PyTorch (Math.sign gives NaN)
  square: (x) => x * x,
  sqrt: (x) => Math.sqrt(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  relu: (x) => (x <= 0 ? 0 : x), // NaN stays NaN, as in PyTorch
  step: (x) => (x <= 0 ? 0 : 1),
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  leakyRelu: (x, a) => (x > 0 ? x : a * x),
  leakyReluGrad: (x, a) => (x > 0 ? 1 : a),
  clamp: (x, lo, hi) => Math.min(Math.max(x, lo), hi), // Math.min and max keep NaN
};

/**
 * The derivative of an activation read off its output y (engine/ops/elementwise.ts
 * activationGrad): y > 0 exactly where the input is for relu and leakyRelu
 * (slope >= 0); d tanh = 1 - tanh^2.
 */
export function activationSlope(a: Activation, y: number): number {
  if (a.op === 'tanh') return 1 - y * y;
  return unaryFns[a.op === 'relu' ? 'step' : 'leakyReluGrad'](y, a.alpha, 0);
}

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};

export function fill(y: Handle, value: number): void {
  arr(y).fill(value);
}

export function unary(op: UnaryOp, x: Handle, y: Handle, alpha: number, beta: number): void {
  const xs = arr(x);
  const ys = arr(y);
  const f = unaryFns[op];
  for (let i = 0; i < ys.length; i++) ys[i] = f(xs[i]!, alpha, beta);
}

export function binary(op: BinaryOp, a: Handle, b: Handle, y: Handle, g: BroadcastGeometry): void {
  const as = arr(a);
  const bs = arr(b);
  const ys = arr(y);
  const f = binaryFns[op];
  let i = 0;
  forEachIndex(g.shape, (idx) => {
    ys[i++] = f(as[offsetOf(idx, g.aStrides)]!, bs[offsetOf(idx, g.bStrides)]!);
  });
}

export function activationBackward(dy: Handle, y: Handle, dx: Handle, a: Activation): void {
  const dys = arr(dy), ys = arr(y), out = arr(dx);
  for (let i = 0; i < out.length; i++) out[i] = dys[i]! * activationSlope(a, ys[i]!);
}
