/**
 * The losses the GANs use, mean-reduced as PyTorch's defaults: one kernel
 * forward (the mean of the point-wise loss) and one backward (its gradient,
 * plus its negation for a target that wants one).
 */
import type { LossOp } from '../backend.js';
import { state } from '../state.js';
import { sameShape } from '../strides.js';
import { empty, type Tensor } from '../tensor.js';
import { record } from '../tape.js';
import { neg } from './elementwise.js';

function checkSameShape(a: Tensor, b: Tensor | number, op: string): void {
  if (typeof b !== 'number' && !sameShape(a.shape, b.shape)) {
    throw new Error(`${op}: ${a} and ${b} differ in shape`);
  }
}

function pointLoss(op: LossOp, input: Tensor, target: Tensor | number, name: string): Tensor {
  checkSameShape(input, target, name);
  const b = typeof target === 'number' ? null : target;
  const constant = typeof target === 'number' ? target : 0;
  const y = empty([]);
  state.backend.pointLoss(op, input.handle, b?.handle ?? null, constant, y.handle);
  return record(name, y, b ? [input, b] : [input], (dy) => {
    const da = empty(input.shape);
    state.backend.pointLossBackward(op, input.handle, b?.handle ?? null, constant, dy.handle, da.handle);
    return b ? [da, b.requiresGrad ? neg(da) : null] : [da];
  });
}

/** mean |input - target|; target may be a constant. */
export function l1Loss(input: Tensor, target: Tensor | number): Tensor {
  return pointLoss('l1', input, target, 'l1Loss');
}

/** mean (input - target)^2; target may be a constant (least-squares GAN: 1 or 0). */
export function mseLoss(input: Tensor, target: Tensor | number): Tensor {
  return pointLoss('mse', input, target, 'mseLoss');
}
