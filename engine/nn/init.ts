/** PyTorch's default initialisation, drawn from the engine's seeded generator. */
import { rand } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

/**
 * kaiming_uniform_(a = sqrt(5)) as nn.Conv2d and nn.Linear use it: the bound
 * gain * sqrt(3 / fanIn) with gain sqrt(2 / (1 + a^2)) comes to 1 / sqrt(fanIn);
 * biases use the same bound.
 */
export function defaultUniform(shape: readonly number[], fanIn: number): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rand(shape, { low: -bound, high: bound });
}
