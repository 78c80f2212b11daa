/** The losses the GANs use, mean-reduced as PyTorch's defaults. */
import type { Tensor } from '../tensor.js';
import { abs, square, sub } from './elementwise.js';
import { mean } from './reduce.js';

function checkSameShape(a: Tensor, b: Tensor | number, op: string): void {
  if (typeof b !== 'number' && (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i]))) {
    throw new Error(`${op}: ${a} and ${b} differ in shape`);
  }
}

/** mean |input - target|; target may be a constant. */
export function l1Loss(input: Tensor, target: Tensor | number): Tensor {
  checkSameShape(input, target, 'l1Loss');
  return mean(abs(sub(input, target)));
}

/** mean (input - target)^2; target may be a constant (least-squares GAN: 1 or 0). */
export function mseLoss(input: Tensor, target: Tensor | number): Tensor {
  checkSameShape(input, target, 'mseLoss');
  return mean(square(sub(input, target)));
}
