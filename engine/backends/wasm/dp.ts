/** Glue for kernels/wasm/dp.ts: per-sample squared norms (samples shared between threads) and the noised clipped sum (blocks of four). */
import type { ClippedSumGeometry } from '../../backend.js';
import type { WasmContext } from './context.js';
import { clippedSumLayout, squaresLayout, writeParams } from './params.js';

/** Values below which a pass stays on the calling thread: waking workers costs more. */
const parallelValues = 1 << 15;
/** Four-element blocks per work item of the clipped sum. */
const chunk = 1 << 10;

export function sumSquaresPerSample(ctx: WasmContext, x: number, squares: number, batch: number, size: number, accumulate: boolean): void {
  const at = writeParams(ctx.heap, ctx.params, squaresLayout, { x, squares, batch, size, accumulate: accumulate ? 1 : 0 });
  ctx.pool.run('sumSquaresPerSample', at, batch, 1, batch * size >= parallelValues);
}

export function clippedSumWithNoise(ctx: WasmContext, x: number, factors: number, y: number, g: ClippedSumGeometry): void {
  const at = writeParams(ctx.heap, ctx.params, clippedSumLayout, {
    x, factors, y, batch: g.batch, size: g.size, seed: g.key.seed | 0, counter: g.key.counter | 0, chunk, noiseStd: g.noiseStd, scale: g.scale,
  });
  const items = Math.ceil(g.size / 4 / chunk);
  ctx.pool.run('clippedSumWithNoise', at, items, 1, g.batch * g.size >= parallelValues);
}
