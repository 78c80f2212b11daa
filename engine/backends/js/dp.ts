import type { ClippedSumGeometry, Handle } from '../../backend.js';
import { normalsOfBlock } from './random.js';
import { arr } from './storage.js';

export function sumSquaresPerSample(xs: readonly Handle[], squares: Handle): void {
  const out = arr(squares).fill(0);
  for (const x of xs) {
    const values = arr(x);
    const size = values.length / out.length;
    for (let n = 0; n < out.length; n++) {
      let total = out[n]!;
      for (let i = n * size; i < (n + 1) * size; i++) total += values[i]! * values[i]!;
      out[n] = total;
    }
  }
}

export function clippedSumWithNoise(xs: readonly Handle[], factors: Handle, ys: readonly Handle[], g: ClippedSumGeometry): void {
  const fs = arr(factors);
  xs.forEach((x, k) => {
    const values = arr(x), out = arr(ys[k]!), size = out.length;
    const key = { ...g.key, counter: g.key.counter + k };
    for (let block = 0; 4 * block < size; block++) {
      const z = normalsOfBlock(block, key);
      for (let i = 4 * block; i < Math.min(size, 4 * block + 4); i++) {
        let total = 0;
        for (let n = 0; n < g.batch; n++) if (fs[n]! !== 0 && !Number.isNaN(fs[n]!)) total += fs[n]! * values[n * size + i]!; // 0 or NaN: left out
        out[i] = g.scale * (total + g.noiseStd * z[i - 4 * block]!);
      }
    }
  });
}
