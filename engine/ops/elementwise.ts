/** Element-wise ops, each with its backward rule right below the forward. */
import type { Activation, BinaryOp, UnaryOp } from '../backend.js';
import { state } from '../state.js';
import { output, type Tensor } from '../tensor.js';
import { record, wantsPerSample } from '../tape.js';
import { broadcastShapes, broadcastStrides, sumTo } from './broadcast.js';
import { full } from './creation.js';

/** Applies a unary kernel, recording nothing. */
export function unaryKernel(op: UnaryOp, x: Tensor, alpha = 0, beta = 0): Tensor {
  const y = output(x.shape);
  state.backend.unary(op, x.handle, y.handle, alpha, beta);
  return y;
}

/** alpha * x + beta */
export function affine(x: Tensor, alpha: number, beta: number): Tensor {
  const y = unaryKernel('affine', x, alpha, beta);
  return record('affine', y, [x], (dy) => [affine(dy, alpha, 0)]);
}

export function neg(x: Tensor): Tensor {
  return affine(x, -1, 0);
}

export function abs(x: Tensor): Tensor {
  const y = unaryKernel('abs', x);
  return record('abs', y, [x], (dy) => [mul(dy, unaryKernel('sign', x))]);
}

export function square(x: Tensor): Tensor {
  const y = unaryKernel('square', x);
  return record('square', y, [x], (dy) => [mul(dy, unaryKernel('affine', x, 2, 0))]); // d x^2 = 2x
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryKernel('sqrt', x);
  return record('sqrt', y, [x], (dy) => [div(dy, unaryKernel('affine', y, 2, 0))]); // d sqrt x = 1 / (2 sqrt x)
}

export function exp(x: Tensor): Tensor {
  const y = unaryKernel('exp', x);
  return record('exp', y, [x], (dy) => [mul(dy, y)]);
}

export function log(x: Tensor): Tensor {
  const y = unaryKernel('log', x);
  return record('log', y, [x], (dy) => [div(dy, x)]);
}

export function relu(x: Tensor): Tensor {
  const y = unaryKernel('relu', x);
  return record('relu', y, [x], (dy) => [mul(dy, unaryKernel('step', x))]);
}

export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  const y = unaryKernel('leakyRelu', x, slope);
  return record('leakyRelu', y, [x], (dy) => [mul(dy, unaryKernel('leakyReluGrad', x, slope))]);
}

export function tanh(x: Tensor): Tensor {
  const y = unaryKernel('tanh', x);
  return record('tanh', y, [x], (dy) => [activationGrad(dy, y, { op: 'tanh', alpha: 0 })]);
}

/** An activation that a convolution or instance norm applies to its output in its own pass (after the bias, the affine). */
export interface ActivationOptions {
  activation?: Activation['op'];
  /** leakyRelu's slope for negative inputs, >= 0 (default 0.01, as leakyRelu's). */
  slope?: number;
}

/** The Activation that `options` ask `op` to apply, checked; null for none. */
export function activationOf(options: ActivationOptions, op: string): Activation | null {
  const { activation, slope } = options;
  if (activation === undefined) {
    if (slope !== undefined) throw new Error(`${op}: slope is for activation 'leakyRelu', and no activation was given`);
    return null;
  }
  if (activation !== 'relu' && activation !== 'leakyRelu' && activation !== 'tanh') {
    throw new Error(`${op}: activation must be 'relu', 'leakyRelu' or 'tanh', got ${JSON.stringify(activation)}`);
  }
  if (activation !== 'leakyRelu') {
    if (slope !== undefined) throw new Error(`${op}: slope is for activation 'leakyRelu', not '${activation}'`);
    return { op: activation, alpha: 0 };
  }
  const alpha = slope ?? 0.01;
  // The backward reads the gradient's mask off the output, which needs y > 0 exactly where the input is.
  if (!(alpha >= 0)) throw new Error(`${op}: leakyRelu slope must be >= 0, got ${alpha}`);
  return { op: activation, alpha };
}

/**
 * dy taken back through an activation, given the activation's output y, in
 * one kernel (engine/backend.ts activationBackward): the backward of a
 * convolution that applied it, and of tanh.
 */
export function activationGrad(dy: Tensor, y: Tensor, a: Activation): Tensor {
  const dx = output(dy.shape);
  state.backend.activationBackward(dy.handle, y.handle, dx.handle, a);
  return dx;
}

export function sigmoid(x: Tensor): Tensor {
  const y = unaryKernel('sigmoid', x);
  return record('sigmoid', y, [x], (dy) => {
    const slope = mul(y, unaryKernel('affine', y, -1, 1)); // d sigmoid = y (1 - y)
    return [mul(dy, slope)];
  });
}

/** min(max(x, low), high); the gradient passes where low <= x <= high, bounds included as in torch.clamp. */
export function clamp(x: Tensor, low: number, high: number): Tensor {
  const y = unaryKernel('clamp', x, low, high);
  return record('clamp', y, [x], (dy) => [mul(dy, mul(notStepOf(x, -1, low), notStepOf(x, 1, -high)))]);
}

/** 1 - step(alpha x + beta): 1 where alpha x + beta <= 0. */
function notStepOf(x: Tensor, alpha: number, beta: number): Tensor {
  return unaryKernel('affine', unaryKernel('step', unaryKernel('affine', x, alpha, beta)), -1, 1);
}

type Operand = Tensor | number;

function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const y = output(shape);
  state.backend.binary(op, a.handle, b.handle, y.handle, {
    shape,
    aStrides: broadcastStrides(a.shape, shape),
    bStrides: broadcastStrides(b.shape, shape),
  });
  return y;
}

/** The gradient reaching a broadcast operand, summed back to its shape (per sample for leaves in DP mode). */
function reduceToOperand(g: Tensor, operand: Tensor): Tensor {
  const keepBatch = wantsPerSample(operand) && !(operand.shape[0] === g.shape[0] && operand.rank === g.rank);
  return sumTo(g, operand.shape, keepBatch);
}

export function add(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return typeof a === 'number' ? full([], a + b) : affine(a, 1, b);
  if (typeof a === 'number') return affine(b, 1, a);
  const y = binaryKernel('add', a, b);
  return record('add', y, [a, b], (dy) => [
    a.requiresGrad ? reduceToOperand(dy, a) : null,
    b.requiresGrad ? reduceToOperand(dy, b) : null,
  ]);
}

export function sub(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return typeof a === 'number' ? full([], a - b) : affine(a, 1, -b);
  if (typeof a === 'number') return affine(b, -1, a);
  const y = binaryKernel('sub', a, b);
  return record('sub', y, [a, b], (dy) => [
    a.requiresGrad ? reduceToOperand(dy, a) : null,
    b.requiresGrad ? reduceToOperand(unaryKernel('affine', dy, -1, 0), b) : null,
  ]);
}

export function mul(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return typeof a === 'number' ? full([], a * b) : affine(a, b, 0);
  if (typeof a === 'number') return affine(b, a, 0);
  const y = binaryKernel('mul', a, b);
  return record('mul', y, [a, b], (dy) => [
    a.requiresGrad ? reduceToOperand(binaryKernel('mul', dy, b), a) : null,
    b.requiresGrad ? reduceToOperand(binaryKernel('mul', dy, a), b) : null,
  ]);
}

export function div(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return typeof a === 'number' ? full([], a / b) : affine(a, 1 / b, 0);
  if (typeof a === 'number') {
    const numerator = full([], a);
    const y = div(numerator, b); // its rule never reads the numerator
    numerator.dispose();
    return y;
  }
  const y = binaryKernel('div', a, b);
  return record('div', y, [a, b], (dy) => {
    const dyOverB = binaryKernel('div', dy, b);
    return [
      a.requiresGrad ? reduceToOperand(dyOverB, a) : null,
      // d(a / b)/db = -a / b^2 = -(dy / b) (a / b)
      b.requiresGrad ? reduceToOperand(unaryKernel('affine', binaryKernel('mul', dyOverB, y), -1, 0), b) : null,
    ];
  });
}
