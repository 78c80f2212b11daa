/**
 * Glue for kernels/wasm/dp.ts, each kernel over a list of tensors in one job:
 * per-sample squared norms (samples shared between threads) and the noised
 * clipped sums (blocks of four, numbered across the list).
 */
import type { ClippedSumGeometry } from '../../backend.js';
import type { WasmContext } from './context.js';
import { clippedSumLayout, squaresLayout, writeParams } from './params.js';

/** Values below which a pass stays on the calling thread: waking workers costs more. */
const parallelValues = 1 << 15;
/** Four-element blocks per work item of the clipped sum, a multiple of four (the kernel draws four blocks at a time). */
const chunk = 1 << 10;

/** xs[k] is a pointer to batch samples of sizes[k] values each. */
export function sumSquaresPerSample(ctx: WasmContext, xs: readonly number[], sizes: readonly number[], squares: number, batch: number): void {
  const table = ctx.table(xs.flatMap((x, k) => [x, sizes[k]!]));
  const at = writeParams(ctx.heap, ctx.params, squaresLayout, { table, count: xs.length, squares, batch });
  const values = batch * sizes.reduce((a, b) => a + b, 0);
  ctx.pool.run('sumSquaresPerSample', at, batch, 1, values >= parallelValues);
}

/** xs[k] [batch, sizes[k]] -> ys[k] [sizes[k]], noise from the stream g.key with counter + k. */
export function clippedSumWithNoise(ctx: WasmContext, xs: readonly number[], factors: number, ys: readonly number[], sizes: readonly number[], g: ClippedSumGeometry): void {
  let items = 0;
  const rows = xs.map((x, k) => {
    const row = [x, ys[k]!, sizes[k]!, (g.key.counter + k) | 0, items];
    items += Math.ceil(sizes[k]! / 4 / chunk);
    return row;
  });
  const at = writeParams(ctx.heap, ctx.params, clippedSumLayout, {
    table: ctx.table(rows.flat()), count: xs.length, factors, batch: g.batch, seed: g.key.seed | 0, seedHigh: g.key.seedHigh | 0, chunk, noiseStd: g.noiseStd, scale: g.scale,
  });
  const values = g.batch * sizes.reduce((a, b) => a + b, 0);
  ctx.pool.run('clippedSumWithNoise', at, items, 1, values >= parallelValues);
}
