/** The element-wise, reduction and copy kernels' glue: geometry collapsing and work splitting. */
import { binaryOps, unaryOps, type Activation, type BinaryOp, type BroadcastGeometry, type CopyGeometry, type ReduceGeometry, type UnaryOp } from '../../backend.js';
import { contiguousStrides, mergeAxes, sizeOf } from '../../strides.js';
import type { WasmContext } from './context.js';
import { activationLayout, binaryLayout, copyEntryLayout, copyLayout, reduceLayout, unaryLayout, writeParams } from './params.js';

/** Elements below which a job stays on the calling thread: waking workers costs more. */
const parallelElements = 1 << 16;
const chunk = 1 << 14;

export function unary(ctx: WasmContext, op: UnaryOp, x: number, y: number, n: number, alpha: number, beta: number): void {
  const at = writeParams(ctx.heap, ctx.params, unaryLayout, { op: unaryOps.indexOf(op), x, y, n, chunk, alpha, beta });
  ctx.pool.run('unary', at, Math.ceil(n / chunk), 1, n >= parallelElements);
}

/** dx = dy * the derivative of the activation read off y, n values. */
export function activationBackward(ctx: WasmContext, dy: number, y: number, dx: number, n: number, a: Activation): void {
  const at = writeParams(ctx.heap, ctx.params, activationLayout, { op: unaryOps.indexOf(a.op), dy, y, dx, n, chunk, alpha: a.alpha });
  ctx.pool.run('activationBackward', at, Math.ceil(n / chunk), 1, n >= parallelElements);
}

/** mergeAxes, shaped for the wasm kernels: rank 1 to 6. */
function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const merged = mergeAxes(shape, strides);
  if (merged.shape.length === 0) return { shape: [1], strides: strides.map(() => [1]) };
  if (merged.shape.length > 6) throw new Error(`wasm backend: rank ${merged.shape.length} after merging axes; at most 6 are supported`);
  return merged;
}

function padded(values: readonly number[], prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (let d = 0; d < 6; d++) out[`${prefix}${d}`] = values[d] ?? 0;
  return out;
}

/** Runs a row kernel over all axes but the last, about 8K elements per grab. */
function runRows(ctx: WasmContext, kernel: 'binary', at: number, shape: readonly number[]): void {
  const inner = shape[shape.length - 1]!;
  const rows = sizeOf(shape.slice(0, -1));
  ctx.pool.run(kernel, at, rows, Math.max(1, Math.floor(8192 / inner)), rows * inner >= parallelElements);
}

export function binary(ctx: WasmContext, op: BinaryOp, a: number, b: number, y: number, g: BroadcastGeometry): void {
  const c = collapse(g.shape, [g.aStrides, g.bStrides, contiguousStrides(g.shape)]);
  const at = writeParams(ctx.heap, ctx.params, binaryLayout, {
    op: binaryOps.indexOf(op),
    a,
    b,
    y,
    rank: c.shape.length,
    ...padded(c.shape, 'shape'),
    ...padded(c.strides[0]!, 'aStride'),
    ...padded(c.strides[1]!, 'bStride'),
  });
  runRows(ctx, 'binary', at, c.shape);
}

/** Several strided copies (pointers to src and dst, geometries) in one job whose work items are their rows. */
export function copy(ctx: WasmContext, copies: readonly { src: number; dst: number; g: CopyGeometry }[]): void {
  const nonEmpty = copies.filter(({ g }) => g.shape.every((d) => d > 0));
  if (nonEmpty.length === 0) return;
  const entryBytes = copyEntryLayout.fields.length * 4;
  const table = ctx.temp(nonEmpty.length * entryBytes);
  let rows = 0;
  let elements = 0;
  let largest = 0;
  nonEmpty.forEach(({ src, dst, g }, k) => {
    const c = collapse(g.shape, [g.srcStrides, g.dstStrides]);
    writeParams(ctx.heap, table + k * entryBytes, copyEntryLayout, {
      src: src + g.srcOffset * 4,
      dst: dst + g.dstOffset * 4,
      rank: c.shape.length,
      ...padded(c.shape, 'shape'),
      ...padded(c.strides[0]!, 'srcStride'),
      ...padded(c.strides[1]!, 'dstStride'),
      firstRow: rows,
    });
    rows += sizeOf(c.shape.slice(0, -1));
    const size = sizeOf(c.shape);
    elements += size;
    largest = Math.max(largest, size);
  });
  const at = writeParams(ctx.heap, ctx.params, copyLayout, { table, count: nonEmpty.length });
  // Threads as each copy alone would have them: past the threshold on their sum instead, the
  // small copies of a 64x64 step's concatenations ran 3-5x slower on a loaded 2-core machine.
  ctx.pool.run('copy', at, rows, Math.max(1, Math.floor((8192 * rows) / elements)), largest >= parallelElements);
}

export function reduceSum(ctx: WasmContext, x: number, y: number, g: ReduceGeometry): void {
  const size = g.outer * g.reduce * g.inner;
  if (g.reduce === 0) {
    ctx.fill(y, g.outer * g.inner, 0);
    return;
  }
  const innerChunk = Math.min(1024, g.inner);
  const at = writeParams(ctx.heap, ctx.params, reduceLayout, { x, y, outer: g.outer, reduce: g.reduce, inner: g.inner, innerChunk });
  if (g.inner === 1) {
    ctx.pool.run('reduceSum', at, g.outer, Math.max(1, Math.floor(16384 / g.reduce)), size >= parallelElements);
  } else {
    ctx.pool.run('reduceSum', at, g.outer * Math.ceil(g.inner / innerChunk), 1, size >= parallelElements);
  }
}
