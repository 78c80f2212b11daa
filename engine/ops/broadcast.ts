/** NumPy broadcasting: shapes aligned on the right, size-1 axes stretched. */
import { contiguousStrides } from '../strides.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './shape.js';
import { sum } from './reduce.js';

export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides that read a tensor of `shape` broadcast to `out` (0 along stretched axes). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  return out.map((_, i) => {
    const j = shape.length - out.length + i;
    return j < 0 || shape[j] === 1 ? 0 : own[j]!;
  });
}

/**
 * Sums `g` (shaped like a broadcast result) down to `shape`, the gradient of
 * broadcasting. With `keepBatch`, axis 0 of g is kept and the result is
 * [g.shape[0], ...shape]: one gradient per sample.
 */
export function sumTo(g: Tensor, shape: readonly number[], keepBatch = false): Tensor {
  const rank = g.rank;
  const axes: number[] = [];
  for (let i = keepBatch ? 1 : 0; i < rank; i++) {
    const j = shape.length - rank + i;
    if (j < 0 || (shape[j] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const target = keepBatch ? [g.shape[0]!, ...shape] : [...shape];
  if (axes.length === 0) return reshape(g, target);
  const reduced = sum(g, axes, true);
  const out = reshape(reduced, target);
  reduced.dispose();
  return out;
}
