/** Glue for kernels/wasm/random.ts: Gaussian noise in chunks of four-draw blocks. */
import type { RandomKey } from '../../backend.js';
import type { WasmContext } from './context.js';
import { randomLayout, writeParams } from './params.js';

/** Blocks per work item, a multiple of four (the kernel draws four blocks at a time); Philox costs about as much as a small convolution tap per draw, so few blocks pay for a thread. */
const chunk = 1 << 10;

export function randomNormal(ctx: WasmContext, y: number, n: number, key: Required<RandomKey>): void {
  const at = writeParams(ctx.heap, ctx.params, randomLayout, { y, n, seed: key.seed | 0, seedHigh: key.seedHigh | 0, counter: key.counter | 0, chunk });
  const items = Math.ceil(n / 4 / chunk);
  ctx.pool.run('randomNormal', at, items, 1, items > 1);
}
