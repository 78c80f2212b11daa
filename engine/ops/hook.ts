/** Gradient surgery: an identity op whose backward is the caller's. */
import type { Tensor } from '../tensor.js';
import { record } from '../tape.js';

/**
 * y = x in the forward pass; in the backward pass the gradient reaching x is
 * rule(dy) instead of dy (GS-WGAN's sanitiser clips and noises it there).
 */
export function gradientHook(x: Tensor, rule: (dy: Tensor) => Tensor): Tensor {
  return record('gradientHook', x.alias(), [x], (dy) => [rule(dy)]);
}
