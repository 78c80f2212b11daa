/** Glue for kernels/wasm/optim.ts: one Adam step over a list of parameters, as one job of element chunks. */
import type { AdamStep } from '../../backend.js';
import type { WasmContext } from './context.js';
import { adamLayout, writeParams } from './params.js';

/** Elements below which the step stays on the calling thread: waking workers costs more. */
const parallelElements = 1 << 15;
const chunk = 1 << 13;

/** A parameter's pointers, its size and its bias corrections. */
export interface AdamPointers {
  param: number;
  grad: number;
  m: number;
  v: number;
  n: number;
  stepSize: number;
  sqrtCorrection2: number;
}

export function adam(ctx: WasmContext, entries: readonly AdamPointers[], s: AdamStep): void {
  // The table: per parameter param, grad, m, v, n, first item (i32) and stepSize, sqrtCorrection2 (f32).
  const table = ctx.temp(entries.length * 8 * 4);
  let items = 0;
  let elements = 0;
  entries.forEach((e, k) => {
    const at = (table >> 2) + 8 * k;
    ctx.heap.i32.set([e.param, e.grad, e.m, e.v, e.n, items], at);
    ctx.heap.f32.set([e.stepSize, e.sqrtCorrection2], at + 6);
    items += Math.ceil(e.n / chunk);
    elements += e.n;
  });
  const at = writeParams(ctx.heap, ctx.params, adamLayout, { table, count: entries.length, chunk, ...s });
  ctx.pool.run('adam', at, items, 1, elements >= parallelElements);
}
