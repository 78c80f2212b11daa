/** Glue for kernels/wasm/loss.ts: a point-wise loss's mean (one work item) and its gradient (chunks of elements). */
import { lossOps, type LossOp } from '../../backend.js';
import type { WasmContext } from './context.js';
import { lossLayout, writeParams } from './params.js';

/** Elements below which the gradient stays on the calling thread: waking workers costs more. */
const parallelElements = 1 << 16;
const chunk = 1 << 14;

/** Pointers: a, b (0: the constant target), and y for the mean or dy and da for the gradient. */
export interface LossPointers {
  a: number;
  b: number;
  y?: number;
  dy?: number;
  da?: number;
}

export function pointLoss(ctx: WasmContext, op: LossOp, n: number, target: number, p: LossPointers): void {
  const at = writeParams(ctx.heap, ctx.params, lossLayout, { op: lossOps.indexOf(op), target, n, chunk, y: 0, dy: 0, da: 0, ...p });
  ctx.pool.run('pointLoss', at, 1, 1, false);
}

export function pointLossBackward(ctx: WasmContext, op: LossOp, n: number, target: number, p: LossPointers): void {
  const at = writeParams(ctx.heap, ctx.params, lossLayout, { op: lossOps.indexOf(op), target, n, chunk, y: 0, dy: 0, da: 0, ...p });
  ctx.pool.run('pointLossBackward', at, Math.ceil(n / chunk), 1, n >= parallelElements);
}
