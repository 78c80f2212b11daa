// The packed GEMM every convolution and matmul runs on.
//
// C = A B (+ bias). A is packed once per call in panels of 4 rows ([k][4],
// 16 bytes per k). A work item is one (problem, reduction split, row block,
// column strip): it packs its strip of B kcMax rows at a time into panels of
// 8 columns ([kc][8], 32 bytes per k) in its thread's scratch, then runs the
// 4x8 micro-kernel over every (4-row panel, 8-column panel) pair, row panels
// outer so that the A panel stays in L1 while the B block streams from L2.
//
// The micro-kernel keeps its 4x8 tile in eight f32x4 accumulators: V8 gives
// WASM SIMD 16 xmm registers, and 8 accumulators + 2 B vectors + 1 splat fit;
// wider tiles spill. Unrolling the k loop makes TurboFan hoist every load of
// the unrolled body and spill, so the loop is single-step with one induction
// variable (the B pointer).
import { GemmParams, PackAParams } from './params';

const ZEROS: usize = memory.data(16, 16);

/**
 * tile[4][8] = init + sum over k < kc of a[k][0..3] (x) b[k][0..7], written to
 * `out` (row r at out + r * rowBytes). init is `out`'s current values when
 * `accumulate`, else bias[r] per row (4 floats at `bias`).
 */
function gemm4x8Simd(kc: i32, a: usize, b: usize, out: usize, rowBytes: usize, accumulate: bool, bias: usize): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  const out1 = out + rowBytes;
  const out2 = out1 + rowBytes;
  const out3 = out2 + rowBytes;
  if (accumulate) {
    c00 = v128.load(out); c01 = v128.load(out, 16);
    c10 = v128.load(out1); c11 = v128.load(out1, 16);
    c20 = v128.load(out2); c21 = v128.load(out2, 16);
    c30 = v128.load(out3); c31 = v128.load(out3, 16);
  } else {
    c00 = v128.load32_splat(bias); c01 = c00;
    c10 = v128.load32_splat(bias, 4); c11 = c10;
    c20 = v128.load32_splat(bias, 8); c21 = c20;
    c30 = v128.load32_splat(bias, 12); c31 = c30;
  }
  const bEnd = b + (<usize>kc << 5);
  do {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a += 16;
    b += 32;
  } while (b < bEnd);
  v128.store(out, c00); v128.store(out, c01, 16);
  v128.store(out1, c10); v128.store(out1, c11, 16);
  v128.store(out2, c20); v128.store(out2, c21, 16);
  v128.store(out3, c30); v128.store(out3, c31, 16);
}

@inline function bRowOffset(p: GemmParams, k: i32): i32 {
  return p.bRowOffsets ? load<i32>(p.bRowOffsets + (<usize>k << 2)) : k * p.bRowStride;
}

@inline function bColOffset(p: GemmParams, j: i32): i32 {
  return p.bColOffsets ? load<i32>(p.bColOffsets + (<usize>j << 2)) : j * p.bColStride;
}

/** B rows k0..k0+kc, columns n0..n1 of source `src`, into panels of 8 columns ([kc][8] each, zero past n1). */
function packB(p: GemmParams, src: usize, k0: i32, kc: i32, n0: i32, n1: i32, dst: usize): void {
  const cols = n1 - n0;
  const fullPanels = cols >> 3;
  const panelBytes = <usize>kc << 5;
  if (!p.bColOffsets && p.bColStride == 1) {
    // Rows are contiguous: two vector copies per panel and row.
    for (let kk = 0; kk < kc; kk++) {
      const row = src + (<usize>(bRowOffset(p, k0 + kk) + n0) << 2);
      let out = dst + (<usize>kk << 5);
      for (let q = 0; q < fullPanels; q++) {
        const from = row + (<usize>q << 5);
        v128.store(out, v128.load(from));
        v128.store(out, v128.load(from, 16), 16);
        out += panelBytes;
      }
      for (let l = 0; l < 8 && fullPanels * 8 < cols; l++) {
        const j = fullPanels * 8 + l;
        store<f32>(out + (<usize>l << 2), j < cols ? load<f32>(row + (<usize>j << 2)) : 0);
      }
    }
    return;
  }
  // Gathered columns: each panel column is its own run along k.
  const panels = (cols + 7) >> 3;
  for (let q = 0; q < panels; q++) {
    const panel = dst + <usize>q * panelBytes;
    for (let l = 0; l < 8; l++) {
      const j = q * 8 + l;
      if (j >= cols) {
        for (let kk = 0; kk < kc; kk++) store<f32>(panel + (<usize>kk << 5) + (<usize>l << 2), 0);
        continue;
      }
      const column = src + (<usize>bColOffset(p, n0 + j) << 2);
      if (!p.bRowOffsets) {
        const step = <usize>p.bRowStride << 2;
        let from = column + <usize>(k0 * p.bRowStride) * 4;
        for (let kk = 0; kk < kc; kk++) {
          store<f32>(panel + (<usize>kk << 5) + (<usize>l << 2), load<f32>(from));
          from += step;
        }
      } else {
        for (let kk = 0; kk < kc; kk++) {
          store<f32>(panel + (<usize>kk << 5) + (<usize>l << 2), load<f32>(column + (<usize>bRowOffset(p, k0 + kk) << 2)));
        }
      }
    }
  }
}

/** Writes (or adds) the valid part of a 4x8 tile computed into `tile` to C, column by column through the output mapping. */
function scatterTile(p: GemmParams, tile: usize, c: usize, row0: i32, rows: i32, t: i32, n1: i32, accumulate: bool): void {
  let i = t / p.cWidth;
  let j = t - i * p.cWidth;
  for (let l = 0; l < 8 && t + l < n1; l++) {
    if (j < p.cValidWidth) {
      const at = c + (<usize>(row0 * p.cRowStride + i * p.cRowPitch + j * p.cColPitch) << 2);
      for (let r = 0; r < rows; r++) {
        const to = at + (<usize>(r * p.cRowStride) << 2);
        const v = load<f32>(tile + (<usize>(r * 8 + l) << 2));
        store<f32>(to, accumulate ? load<f32>(to) + v : v);
      }
    }
    if (++j == p.cWidth) {
      j = 0;
      i++;
    }
  }
}

/** One work item: the C block of (batch entry, split, row block, column strip). */
function gemmBlock(p: GemmParams, batchIndex: i32, split: i32, mBlock: i32, strip: i32, tile: usize, packed: usize): void {
  const m0 = mBlock * p.mBlockRows;
  const m1 = min(p.m, m0 + p.mBlockRows);
  const n0 = strip * p.stripCols;
  const n1 = min(p.n, n0 + p.stripCols);
  const kTotal = p.reduceBatch * p.k;
  const chunk = (kTotal + p.kSplits - 1) / p.kSplits;
  const r0 = split * chunk;
  const r1 = min(kTotal, r0 + chunk);
  const a = p.a + (<usize>(batchIndex * p.aBatchStride) << 2);
  const c = p.c + (<usize>(batchIndex * p.cBatchStride + split * p.cSplitStride) << 2);
  const contiguousColumns = p.cColPitch == 1;
  let first = true;
  for (let r = r0; r < r1; ) {
    const image = r / p.k;
    const k0 = r - image * p.k;
    const kc = min(p.kcMax, min(p.k - k0, r1 - r));
    const src = p.b + (<usize>(batchIndex * p.bBatchStride + image * p.bReduceStride) << 2);
    packB(p, src, k0, kc, n0, n1, packed);
    for (let row0 = m0; row0 < m1; row0 += 4) {
      const rows = min(4, m1 - row0);
      const aPanel = a + (<usize>((row0 >> 2) * p.aPanelStride + r * 4) << 2);
      const bias = first && split == 0 && p.bias ? p.bias + (<usize>row0 << 2) : ZEROS;
      let bPanel = packed;
      for (let t = n0; t < n1; t += 8) {
        const i = t / p.cWidth;
        const j = t - i * p.cWidth;
        if (rows == 4 && t + 8 <= n1 && contiguousColumns && j + 8 <= p.cValidWidth) {
          const out = c + (<usize>(row0 * p.cRowStride + i * p.cRowPitch + j) << 2);
          gemm4x8Simd(kc, aPanel, bPanel, out, <usize>p.cRowStride << 2, !first, bias);
        } else {
          gemm4x8Simd(kc, aPanel, bPanel, tile, 32, false, bias);
          scatterTile(p, tile, c, row0, rows, t, n1, !first);
        }
        bPanel += <usize>kc << 5;
      }
    }
    first = false;
    r += kc;
  }
}

/** Work items [begin, end) of a GEMM; see GemmParams. Each thread packs into its own scratch. */
export function gemm(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<GemmParams>(params);
  const scratch = p.scratch + <usize>thread * (<usize>p.scratchStride << 2);
  const tile = scratch;
  const packed = scratch + 128;
  const perSplit = p.mBlocks * p.strips;
  const perBatch = p.kSplits * perSplit;
  for (let item = begin; item < end; item++) {
    const batchIndex = item / perBatch;
    let rest = item - batchIndex * perBatch;
    const split = rest / perSplit;
    rest -= split * perSplit;
    const mBlock = rest / p.strips;
    gemmBlock(p, batchIndex, split, mBlock, rest - mBlock * p.strips, tile, packed);
  }
}

/** Panels [begin, end) of A[m][k] = src[rowOffsets[m] + colOffsets[k]], as [k][4] each (zero rows past m). */
export function packA(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<PackAParams>(params);
  for (let panel = begin; panel < end; panel++) {
    let out = p.dst + (<usize>(panel * p.k) << 4);
    const rows = min(4, p.m - panel * 4);
    const r0 = p.src + (<usize>load<i32>(p.rowOffsets + (<usize>(panel * 4) << 2)) << 2);
    const r1 = rows > 1 ? p.src + (<usize>load<i32>(p.rowOffsets + (<usize>(panel * 4 + 1) << 2)) << 2) : ZEROS;
    const r2 = rows > 2 ? p.src + (<usize>load<i32>(p.rowOffsets + (<usize>(panel * 4 + 2) << 2)) << 2) : ZEROS;
    const r3 = rows > 3 ? p.src + (<usize>load<i32>(p.rowOffsets + (<usize>(panel * 4 + 3) << 2)) << 2) : ZEROS;
    // A missing row reads ZEROS at offset 0 for every k.
    const s1: usize = rows > 1 ? 1 : 0;
    const s2: usize = rows > 2 ? 1 : 0;
    const s3: usize = rows > 3 ? 1 : 0;
    for (let k = 0; k < p.k; k++) {
      const off = <usize>load<i32>(p.colOffsets + (<usize>k << 2)) << 2;
      store<f32>(out, load<f32>(r0 + off));
      store<f32>(out, load<f32>(r1 + off * s1), 4);
      store<f32>(out, load<f32>(r2 + off * s2), 8);
      store<f32>(out, load<f32>(r3 + off * s3), 12);
      out += 16;
    }
  }
}
