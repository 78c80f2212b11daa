/** Glue for kernels/wasm/optim.ts: one Adam step, split into chunks of elements. */
import type { AdamStep } from '../../backend.js';
import type { WasmContext } from './context.js';
import { adamLayout, writeParams } from './params.js';

/** Elements below which the step stays on the calling thread: waking workers costs more. */
const parallelElements = 1 << 15;
const chunk = 1 << 13;

export function adam(ctx: WasmContext, param: number, grad: number, m: number, v: number, n: number, s: AdamStep): void {
  const at = writeParams(ctx.heap, ctx.params, adamLayout, { param, grad, m, v, n, chunk, ...s });
  ctx.pool.run('adam', at, Math.ceil(n / chunk), 1, n >= parallelElements);
}
