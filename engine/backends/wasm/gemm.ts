/**
 * Planning the packed GEMM of kernels/wasm/gemm.ts: cache blocking, how the
 * output is cut into work items for the threads, reduction splits for small
 * outputs with long reductions, and packing A. Every choice here depends on
 * the problem's shape only, never on the thread count, except the row blocks,
 * which do not change any sum's order: results are the same on any number of
 * threads.
 */
import { unaryOps, type Activation, type MatmulGeometry } from '../../backend.js';
import type { WasmContext } from './context.js';
import { gemmLayout, packALayout, sumSplitsLayout, writeParams } from './params.js';

/**
 * The most reduction rows of B packed at a time: a 4 x kc A panel (16 KB)
 * stays in L1, the kc x 128 B block (512 KB) in L2. Deeper blocks mean fewer
 * passes over C: 1024 ran a 1024^3 matmul 3-4% faster than 512.
 */
export const kcMax = 1024;
/** Columns per work item (a multiple of the micro-kernel's 8; at most 128, whose 16 panels packB describes in the 32-float tile). */
export const stripColsMax = 128;
/** Floats of per-thread scratch: the 4x8 tile, then the packed B block. */
export const scratchFloats = 32 + kcMax * stripColsMax;

/**
 * Below this many multiply-adds (about 50-80 microseconds on one thread) a
 * GEMM stays on one thread: the deep U-Net layers' small GEMMs (4x4 images,
 * stride phases of 2x2) lost more to handing half to a worker, which on a
 * loaded machine may not run at once, than the half saved (1 << 18 before).
 */
const parallelWork = 1 << 20;

export interface GemmSpec {
  m: number;
  n: number;
  k: number;
  /** Independent problems (default 1). */
  batch?: number;
  /** Consecutive B sources the reduction runs over (default 1). */
  reduceBatch?: number;
  /** Packed A (see packA); aPanelStride is in floats. */
  a: number;
  aBatchStride?: number;
  aPanelStride: number;
  b: number;
  bRowOffsets?: number;
  bRowStride?: number;
  bColOffsets?: number;
  bColStride?: number;
  /** B's contiguous axis in rows of this width, bRunPitch apart (see GemmParams). */
  bRunWidth?: number;
  bRunPitch?: number;
  bBatchStride?: number;
  bReduceStride?: number;
  c: number;
  cBatchStride?: number;
  cRowStride: number;
  cWidth: number;
  cValidWidth: number;
  cRowPitch: number;
  cColPitch: number;
  bias?: number;
  /** Applied to C after the bias. */
  activation?: Activation | null;
  /** C is a plain [batch][m][n] block that may be summed from reduction splits (never with an activation). */
  splittable?: boolean;
}

/** The activation fields of the gemm and interleave parameter blocks: the unary op's index, or -1. */
export function activationFields(a: Activation | null | undefined): { activation: number; activationAlpha: number } {
  return a ? { activation: unaryOps.indexOf(a.op), activationAlpha: a.alpha } : { activation: -1, activationAlpha: 0 };
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** The kc that splits k into equal blocks of at most kcMax. */
function blockDepth(k: number): number {
  return Math.ceil(k / Math.ceil(k / kcMax));
}

export function runGemm(ctx: WasmContext, s: GemmSpec): void {
  const batch = s.batch ?? 1;
  const reduceBatch = s.reduceBatch ?? 1;
  if (s.m === 0 || s.n === 0 || batch === 0) return;
  const kTotal = reduceBatch * s.k;
  if (kTotal === 0) throw new Error('wasm gemm: empty reduction');
  // packB walks mapped columns a panel of 8 at a time: a narrower run would never end.
  if (s.bRunWidth && s.bColStride === 1 && s.bRunWidth % 8 !== 0) throw new Error(`wasm gemm: bRunWidth ${s.bRunWidth} is not a multiple of 8`);
  // Strips of equal width: a narrow last strip would stream all of A for a few columns.
  const strips = Math.ceil(s.n / stripColsMax);
  const stripCols = roundUp(Math.ceil(s.n / strips), 8);
  // A long reduction into few output blocks is split, each split summing into its own copy of C.
  const kSplits = s.splittable && !s.activation && batch * strips < 8 && kTotal >= 8192 ? Math.min(8, Math.floor(kTotal / 4096)) : 1;
  const threads = ctx.pool.threads;
  const items = batch * kSplits * strips;
  const wantBlocks = items < 2 * threads ? Math.ceil((2 * threads) / items) : 1;
  const mBlockRows = roundUp(Math.ceil(s.m / Math.min(wantBlocks, Math.ceil(s.m / 16))), 4);
  const mBlocks = Math.ceil(s.m / mBlockRows);
  const cSize = batch * s.m * s.n;
  const c = kSplits > 1 ? ctx.temp(kSplits * cSize * 4) : s.c;
  const at = writeParams(ctx.heap, ctx.params, gemmLayout, {
    m: s.m,
    n: s.n,
    k: s.k,
    batch,
    reduceBatch,
    kSplits,
    mBlocks,
    mBlockRows,
    strips,
    stripCols,
    kcMax: blockDepth(kTotal),
    a: s.a,
    aBatchStride: s.aBatchStride ?? 0,
    aPanelStride: s.aPanelStride,
    b: s.b,
    bRowOffsets: s.bRowOffsets ?? 0,
    bRowStride: s.bRowStride ?? 0,
    bColOffsets: s.bColOffsets ?? 0,
    bColStride: s.bColStride ?? 0,
    bRunWidth: s.bRunWidth ?? 0,
    bRunPitch: s.bRunPitch ?? 0,
    bBatchStride: s.bBatchStride ?? 0,
    bReduceStride: s.bReduceStride ?? 0,
    c,
    cBatchStride: s.cBatchStride ?? 0,
    cSplitStride: cSize,
    cRowStride: s.cRowStride,
    cWidth: s.cWidth,
    cValidWidth: s.cValidWidth,
    cRowPitch: s.cRowPitch,
    cColPitch: s.cColPitch,
    bias: s.bias ?? 0,
    ...activationFields(s.activation),
    scratch: ctx.scratch,
    scratchStride: ctx.scratchStride,
  });
  ctx.pool.run('gemm', at, items * mBlocks, 1, batch * s.m * s.n * kTotal >= parallelWork);
  if (kSplits > 1) sumSplits(ctx, c, s.c, cSize, kSplits);
}

function sumSplits(ctx: WasmContext, x: number, y: number, n: number, splits: number): void {
  const chunk = 4096;
  const at = writeParams(ctx.heap, ctx.params, sumSplitsLayout, { x, y, n, splits, stride: n, chunk });
  ctx.pool.run('sumSplits', at, Math.ceil(n / chunk), 1, n * splits >= 1 << 16);
}

/**
 * Packs A[i][j] = src[rowOffsets[i] + colOffsets[j]] (i < m, j < k; the
 * colOffsets table 0 means j itself) into panels of 4 rows at `dst`
 * (ceil(m / 4) * 4 * k floats); returns dst.
 */
export function packA(ctx: WasmContext, src: number, dst: number, m: number, k: number, rowOffsets: number, colOffsets: number): number {
  const at = writeParams(ctx.heap, ctx.params, packALayout, { src, dst, m, k, rowOffsets, colOffsets });
  const panels = Math.ceil(m / 4);
  ctx.pool.run('packA', at, panels, Math.max(1, Math.floor(4096 / k)), m * k >= 1 << 16);
  return dst;
}

/** Floats that packA writes for an m x k matrix. */
export const packedSize = (m: number, k: number) => Math.ceil(m / 4) * 4 * k;

export function matmul(ctx: WasmContext, a: number, b: number, y: number, g: MatmulGeometry): void {
  const { m, n, k } = g;
  if (k === 0) {
    ctx.fill(y, g.batch * m * n, 0);
    return;
  }
  const aBatches = g.aBatchStride === 0 ? 1 : g.batch;
  const packedStride = packedSize(m, k);
  const packed = ctx.temp(aBatches * packedStride * 4);
  const rowOffsets = ctx.table(Array.from({ length: m }, (_, i) => (g.transA ? i : i * k)));
  const colOffsets = g.transA ? ctx.table(Array.from({ length: k }, (_, j) => j * m)) : 0;
  for (let t = 0; t < aBatches; t++) {
    packA(ctx, a + t * g.aBatchStride * 4, packed + t * packedStride * 4, m, k, rowOffsets, colOffsets);
  }
  runGemm(ctx, {
    m,
    n,
    k,
    batch: g.batch,
    a: packed,
    aBatchStride: aBatches > 1 ? packedStride : 0,
    aPanelStride: k * 4,
    b,
    bRowStride: g.transB ? 1 : n,
    bColStride: g.transB ? k : 1,
    bBatchStride: g.bBatchStride,
    c: y,
    cBatchStride: m * n,
    cRowStride: n,
    cWidth: n,
    cValidWidth: n,
    cRowPitch: 0,
    cColPitch: 1,
  });
}
