import type { CopyJob, Handle, ReduceGeometry } from '../../backend.js';
import { arr, forEachIndex, offsetOf } from './storage.js';

export function reduceSum(x: Handle, y: Handle, g: ReduceGeometry): void {
  const xs = arr(x);
  const ys = arr(y);
  for (let o = 0; o < g.outer; o++) {
    for (let i = 0; i < g.inner; i++) {
      let s = 0;
      for (let r = 0; r < g.reduce; r++) s += xs[(o * g.reduce + r) * g.inner + i]!;
      ys[o * g.inner + i] = s;
    }
  }
}

export function copy(copies: readonly CopyJob[]): void {
  for (const { src, dst, g } of copies) {
    const s = arr(src);
    const d = arr(dst);
    forEachIndex(g.shape, (idx) => {
      d[g.dstOffset + offsetOf(idx, g.dstStrides)] = s[g.srcOffset + offsetOf(idx, g.srcStrides)]!;
    });
  }
}
