/** Sums and means over axes. */
import { state } from '../state.js';
import { sizeOf } from '../strides.js';
import { empty, type Tensor } from '../tensor.js';
import { record } from '../tape.js';
import { affine } from './elementwise.js';
import { expandTo, reshape } from './shape.js';

function normaliseAxes(x: Tensor, axes: number | readonly number[] | undefined, op: string): number[] {
  const list = axes === undefined ? x.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : [...axes];
  for (const a of list) {
    if (!Number.isInteger(a) || a < -x.rank || a >= x.rank) throw new Error(`${op}: axis ${a} is out of range for ${x}`);
  }
  return [...new Set(list.map((a) => (a < 0 ? a + x.rank : a)))].sort((a, b) => a - b);
}

/** Sums contiguous runs of axes with one reduce kernel each; returns the keep-dims result. */
function sumKernel(x: Tensor, axes: readonly number[]): Tensor {
  let current = x;
  let shape = [...x.shape];
  // Reduce the runs from the last so that earlier axis numbers stay valid.
  for (let i = axes.length - 1; i >= 0; ) {
    let start = i;
    while (start > 0 && axes[start - 1] === axes[start]! - 1) start--;
    const first = axes[start]!;
    const last = axes[i]!;
    const outer = sizeOf(shape.slice(0, first));
    const reduce = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    shape = [...shape.slice(0, first), ...shape.slice(first, last + 1).map(() => 1), ...shape.slice(last + 1)];
    const y = empty(shape);
    state.backend.reduceSum(current.handle, y.handle, { outer, reduce, inner });
    if (current !== x) current.dispose();
    current = y;
    i = start - 1;
  }
  return current === x ? x.alias() : current;
}

/** Sum over `axes` (all when omitted); keepDims keeps them as size 1. */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const list = normaliseAxes(x, axes, 'sum');
  const kept = sumKernel(x, list);
  const outShape = keepDims ? kept.shape : x.shape.filter((_, i) => !list.includes(i));
  const y = keepDims ? kept : reshape(kept, outShape);
  if (y !== kept) kept.dispose();
  return record('sum', y, [x], (dy) => [expandTo(reshape(dy, kept.shape), x.shape)]);
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const list = normaliseAxes(x, axes, 'mean');
  const count = list.reduce((n, a) => n * x.shape[a]!, 1);
  return affine(sum(x, list, keepDims), 1 / count, 0);
}
