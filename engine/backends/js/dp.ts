import type { ClippedSumGeometry, Handle } from '../../backend.js';
import { normalsOfBlock } from './random.js';
import { arr } from './storage.js';

export function sumSquaresPerSample(x: Handle, squares: Handle, size: number, accumulate: boolean): void {
  const xs = arr(x), out = arr(squares);
  for (let n = 0; n < out.length; n++) {
    let total = accumulate ? out[n]! : 0;
    for (let i = n * size; i < (n + 1) * size; i++) total += xs[i]! * xs[i]!;
    out[n] = total;
  }
}

export function clippedSumWithNoise(x: Handle, factors: Handle, y: Handle, g: ClippedSumGeometry): void {
  const xs = arr(x), fs = arr(factors), ys = arr(y);
  for (let block = 0; 4 * block < g.size; block++) {
    const z = normalsOfBlock(block, g.key);
    for (let i = 4 * block; i < Math.min(g.size, 4 * block + 4); i++) {
      let total = 0;
      for (let n = 0; n < g.batch; n++) total += fs[n]! * xs[n * g.size + i]!;
      ys[i] = g.scale * (total + g.noiseStd * z[i - 4 * block]!);
    }
  }
}
