// The packed GEMM every convolution and matmul runs on.
//
// C = act(A B + bias), bias and activation optional. A is packed once per
// call in panels of 4 rows ([k][4], 16 bytes per k). A work item is one
// (problem, reduction split, row block, column strip): it packs its strip of
// B kcMax rows at a time into panels of 8 columns ([kc][8], 32 bytes per k)
// in its thread's scratch, then runs the 4x8 micro-kernel over every (4-row
// panel, 8-column panel) pair, row panels outer so that the A panel stays in
// L1 while the B block streams from L2.
//
// The micro-kernel keeps its 4x8 tile in eight f32x4 accumulators: V8 gives
// WASM SIMD 16 xmm registers, and 8 accumulators + 2 B vectors + 1 splat fit;
// wider tiles spill. Unrolling the k loop makes TurboFan hoist every load of
// the unrolled body and spill, so the loop is single-step with one induction
// variable (the B pointer).
import { unaryScalar, unaryVector } from './elementwise';
import { GemmParams, PackAParams } from './params';

const ZEROS: usize = memory.data(16, 16);

/**
 * c + a * b: one fused multiply-add in the relaxed-SIMD build
 * (fedmed.relaxed.wasm), which halves the micro-kernel's arithmetic
 * instructions where V8's code is bound by how many it can issue; a multiply
 * and an add in the plain build.
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Whether this build fuses multiply-adds (relaxed SIMD). */
export function fusedMultiplyAdd(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}

/**
 * out[4][8] = init + sum over k < kc of a[k][0..3] (x) b[k][0..7], row r at
 * out + r * rowBytes; init is `out`'s current values when `accumulate`, else
 * bias[r] per row (4 floats at `bias`). The accumulators start at zero and
 * init is added after the loop: starting them from loads or splats made
 * TurboFan spill them inside the loop. Any parameter more (an activation's
 * alpha, say) takes a register from the loop and costs 40%.
 */
function gemm4x8Simd(kc: i32, a: usize, b: usize, out: usize, rowBytes: usize, accumulate: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const bEnd = b + (<usize>kc << 5);
  do {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    a += 16;
    b += 32;
  } while (b < bEnd);
  storeRow(out, c00, c01, accumulate, bias);
  storeRow(out + rowBytes, c10, c11, accumulate, bias + 4);
  storeRow(out + 2 * rowBytes, c20, c21, accumulate, bias + 8);
  storeRow(out + 3 * rowBytes, c30, c31, accumulate, bias + 12);
}

@inline function storeRow(out: usize, lo: v128, hi: v128, accumulate: bool, bias: usize): void {
  const init0 = accumulate ? v128.load(out) : v128.load32_splat(bias);
  const init1 = accumulate ? v128.load(out, 16) : init0;
  v128.store(out, f32x4.add(lo, init0));
  v128.store(out, f32x4.add(hi, init1), 16);
}

/**
 * The activation over `rows` rows of 8 of C just stored (still in L1),
 * rowBytes apart. Its alpha is read here, not passed: a vector live across
 * gemmBlock's loops would cost it a register.
 */
function activateTile(p: GemmParams, out: usize, rowBytes: usize, rows: i32, activation: i32): void {
  const alpha = f32x4.splat(p.activationAlpha);
  for (let r = 0; r < rows; r++) {
    const row = out + <usize>r * rowBytes;
    v128.store(row, activate(v128.load(row), activation, alpha));
    v128.store(row, activate(v128.load(row, 16), activation, alpha), 16);
  }
}

/** A GEMM's activation: the element-wise kernels' own unary op, out of line so the callers stay small. */
function activate(x: v128, op: i32, alpha: v128): v128 {
  return unaryVector(op, x, alpha, alpha);
}

@inline function bRowOffset(p: GemmParams, k: i32): i32 {
  if (p.bRowOffsets) return load<i32>(p.bRowOffsets + (<usize>k << 2));
  return p.bRowStride == 1 ? bRun(p, k) : k * p.bRowStride;
}

@inline function bColOffset(p: GemmParams, j: i32): i32 {
  return p.bColOffsets ? load<i32>(p.bColOffsets + (<usize>j << 2)) : j * p.bColStride;
}

/** Where index t of B's contiguous axis is: t itself, or through the output-row mapping (bRunWidth). */
@inline function bRun(p: GemmParams, t: i32): i32 {
  if (!p.bRunWidth) return t;
  const i = t / p.bRunWidth;
  return i * p.bRunPitch + t - i * p.bRunWidth;
}

/**
 * The full panels of a strip from column n0 (`panels` of them) as runs of
 * panels that lie one after another in a B row: (byte offset of the run's
 * first column, panels in it) pairs at `runs`, at most 16; returns how many.
 * One run without bRunWidth; one per output row, 8-column aligned, with it.
 */
function panelRuns(p: GemmParams, n0: i32, panels: i32, runs: usize): i32 {
  let count = 0;
  for (let q = 0; q < panels; ) {
    const t = n0 + q * 8;
    const inRow = p.bRunWidth ? min(panels - q, (p.bRunWidth - t % p.bRunWidth) >> 3) : panels - q;
    store<i32>(runs + (<usize>count << 3), bRun(p, t) << 2);
    store<i32>(runs + (<usize>count << 3), inRow, 4);
    count++;
    q += inRow;
  }
  return count;
}

/**
 * B rows k0..k0+kc, columns n0..n1 of source `src`, into panels of 8 columns
 * (kc rows of 8 each, zero past n1), panelBytes apart: a block deeper than
 * kc takes several sources' rows one after another. `scratch` holds 32 ints.
 */
function packB(p: GemmParams, src: usize, k0: i32, kc: i32, n0: i32, n1: i32, dst: usize, panelBytes: usize, scratch: usize): void {
  const cols = n1 - n0;
  const fullPanels = cols >> 3;
  if (!p.bColOffsets && p.bColStride == 1) {
    // Rows are contiguous: four rows at a time, so that each panel gets 128
    // contiguous bytes, run by run of panels that follow each other in a row.
    const runCount = panelRuns(p, n0, fullPanels, scratch);
    let kk = 0;
    for (; kk + 4 <= kc; kk += 4) {
      const r0 = src + (<usize>bRowOffset(p, k0 + kk) << 2);
      const r1 = src + (<usize>bRowOffset(p, k0 + kk + 1) << 2);
      const r2 = src + (<usize>bRowOffset(p, k0 + kk + 2) << 2);
      const r3 = src + (<usize>bRowOffset(p, k0 + kk + 3) << 2);
      let out = dst + (<usize>kk << 5);
      for (let run = 0; run < runCount; run++) {
        const first = <usize>load<i32>(scratch + (<usize>run << 3));
        const panels = load<i32>(scratch + (<usize>run << 3), 4);
        for (let q = 0; q < panels; q++) {
          const at = first + (<usize>q << 5);
          v128.store(out, v128.load(r0 + at));
          v128.store(out, v128.load(r0 + at, 16), 16);
          v128.store(out, v128.load(r1 + at), 32);
          v128.store(out, v128.load(r1 + at, 16), 48);
          v128.store(out, v128.load(r2 + at), 64);
          v128.store(out, v128.load(r2 + at, 16), 80);
          v128.store(out, v128.load(r3 + at), 96);
          v128.store(out, v128.load(r3 + at, 16), 112);
          out += panelBytes;
        }
      }
    }
    for (; kk < kc; kk++) {
      const row = src + (<usize>bRowOffset(p, k0 + kk) << 2);
      let out = dst + (<usize>kk << 5);
      for (let run = 0; run < runCount; run++) {
        const first = row + <usize>load<i32>(scratch + (<usize>run << 3));
        const panels = load<i32>(scratch + (<usize>run << 3), 4);
        for (let q = 0; q < panels; q++) {
          const from = first + (<usize>q << 5);
          v128.store(out, v128.load(from));
          v128.store(out, v128.load(from, 16), 16);
          out += panelBytes;
        }
      }
    }
    // The last, partial panel, zero past n1.
    if (fullPanels * 8 < cols) {
      for (kk = 0; kk < kc; kk++) {
        const row = src + (<usize>bRowOffset(p, k0 + kk) << 2);
        const out = dst + <usize>fullPanels * panelBytes + (<usize>kk << 5);
        for (let l = 0; l < 8; l++) {
          const j = fullPanels * 8 + l;
          store<f32>(out + (<usize>l << 2), j < cols ? load<f32>(row + (<usize>bRun(p, n0 + j) << 2)) : 0);
        }
      }
    }
    return;
  }
  // Gathered columns: each panel column is its own run along k.
  const panels = (cols + 7) >> 3;
  for (let q = 0; q < panels; q++) {
    const panel = dst + <usize>q * panelBytes;
    if (!p.bRowOffsets && p.bRowStride == 1 && q < fullPanels) {
      packColumnsSimd(p, src, k0, kc, n0 + q * 8, panel);
      continue;
    }
    for (let l = 0; l < 8; l++) {
      const j = q * 8 + l;
      if (j >= cols) {
        for (let kk = 0; kk < kc; kk++) store<f32>(panel + (<usize>kk << 5) + (<usize>l << 2), 0);
        continue;
      }
      const column = src + (<usize>bColOffset(p, n0 + j) << 2);
      for (let kk = 0; kk < kc; kk++) {
        store<f32>(panel + (<usize>kk << 5) + (<usize>l << 2), load<f32>(column + (<usize>bRowOffset(p, k0 + kk) << 2)));
      }
    }
  }
}

/** Stores the transpose of the 4x4 block with rows v0..v3: its row i at out + i * stride. */
@inline function storeTransposed4x4(v0: v128, v1: v128, v2: v128, v3: v128, out: usize, stride: usize): void {
  const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(out + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(out + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(out + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/**
 * One full panel of 8 columns, each contiguous along k (B[k][j] at column
 * offset + bRun(k)): four k at a time from each column, transposed in
 * registers.
 */
function packColumnsSimd(p: GemmParams, src: usize, k0: i32, kc: i32, j0: i32, panel: usize): void {
  const c0 = src + (<usize>bColOffset(p, j0) << 2);
  const c1 = src + (<usize>bColOffset(p, j0 + 1) << 2);
  const c2 = src + (<usize>bColOffset(p, j0 + 2) << 2);
  const c3 = src + (<usize>bColOffset(p, j0 + 3) << 2);
  const c4 = src + (<usize>bColOffset(p, j0 + 4) << 2);
  const c5 = src + (<usize>bColOffset(p, j0 + 5) << 2);
  const c6 = src + (<usize>bColOffset(p, j0 + 6) << 2);
  const c7 = src + (<usize>bColOffset(p, j0 + 7) << 2);
  // Run by run of rows that lie one after another: all kc rows, or (bRunWidth) what is left of an output row.
  for (let kk = 0; kk < kc; ) {
    const t = k0 + kk;
    const length = p.bRunWidth ? min(kc - kk, p.bRunWidth - t % p.bRunWidth) : kc - kk;
    const first = <usize>bRun(p, t) << 2;
    let r = 0;
    for (; r + 4 <= length; r += 4) {
      const at = first + (<usize>r << 2);
      const out = panel + (<usize>(kk + r) << 5);
      storeTransposed4x4(v128.load(c0 + at), v128.load(c1 + at), v128.load(c2 + at), v128.load(c3 + at), out, 32);
      storeTransposed4x4(v128.load(c4 + at), v128.load(c5 + at), v128.load(c6 + at), v128.load(c7 + at), out + 16, 32);
    }
    for (; r < length; r++) packColumnsRow(p, c0, c1, c2, c3, c4, c5, c6, c7, t + r, panel + (<usize>(kk + r) << 5));
    kk += length;
  }
}

/** Row k of a panel of 8 columns (see packColumnsSimd), one value at a time. */
@inline function packColumnsRow(
  p: GemmParams, c0: usize, c1: usize, c2: usize, c3: usize, c4: usize, c5: usize, c6: usize, c7: usize, k: i32, out: usize,
): void {
  const at = <usize>bRun(p, k) << 2;
  store<f32>(out, load<f32>(c0 + at));
  store<f32>(out, load<f32>(c1 + at), 4);
  store<f32>(out, load<f32>(c2 + at), 8);
  store<f32>(out, load<f32>(c3 + at), 12);
  store<f32>(out, load<f32>(c4 + at), 16);
  store<f32>(out, load<f32>(c5 + at), 20);
  store<f32>(out, load<f32>(c6 + at), 24);
  store<f32>(out, load<f32>(c7 + at), 28);
}

/**
 * Writes (or adds) the valid part of a 4x8 tile computed into `tile` to C,
 * then applies the unary op `activation` (-1: none) to what it wrote: row by
 * row in vectors when the 8 columns are contiguous in C, else column by
 * column through the output mapping. The activation stays out of the store
 * loops, which slow down by half when it is in them.
 */
function scatterTile(p: GemmParams, tile: usize, c: usize, row0: i32, rows: i32, t: i32, n1: i32, accumulate: bool, activation: i32): void {
  let i = t / p.cWidth;
  let j = t - i * p.cWidth;
  if (t + 8 <= n1 && p.cColPitch == 1 && j + 8 <= p.cValidWidth) {
    const first = c + (<usize>(row0 * p.cRowStride + i * p.cRowPitch + j) << 2);
    for (let r = 0; r < rows; r++) {
      const to = first + (<usize>(r * p.cRowStride) << 2);
      const from = tile + (<usize>r << 5);
      const lo = v128.load(from);
      const hi = v128.load(from, 16);
      v128.store(to, accumulate ? f32x4.add(v128.load(to), lo) : lo);
      v128.store(to, accumulate ? f32x4.add(v128.load(to, 16), hi) : hi, 16);
    }
    if (activation >= 0) activateTile(p, first, <usize>p.cRowStride << 2, rows, activation);
    return;
  }
  for (let l = 0; l < 8 && t + l < n1; l++) {
    if (j < p.cValidWidth) {
      const at = c + (<usize>(row0 * p.cRowStride + i * p.cRowPitch + j * p.cColPitch) << 2);
      for (let r = 0; r < rows; r++) {
        const to = at + (<usize>(r * p.cRowStride) << 2);
        const v = load<f32>(tile + (<usize>(r * 8 + l) << 2));
        store<f32>(to, accumulate ? load<f32>(to) + v : v);
      }
      if (activation >= 0) {
        for (let r = 0; r < rows; r++) {
          const to = at + (<usize>(r * p.cRowStride) << 2);
          store<f32>(to, unaryScalar(activation, load<f32>(to), p.activationAlpha, p.activationAlpha));
        }
      }
    }
    if (++j == p.cWidth) {
      j = 0;
      i++;
    }
  }
}

/**
 * tile[0..16) = sum over k < kc of a[16 k] * b[bRowOffset(k) + 0..16): one
 * row of A (a lane of its packed panel) against 16 columns read straight from
 * B's contiguous rows, unpacked. For GEMMs of fewer than 4 rows, where a 4x8
 * tile would waste most of its work and packing B would cost more than using
 * it. Sixteen columns, not 32: TurboFan hoists the B loads above the
 * arithmetic, and 8 loaded vectors with 8 accumulators spill.
 */
function gemm1x16Direct(p: GemmParams, kc: i32, a: usize, b: usize, tile: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const offsets = p.bRowOffsets;
  const stride = p.bRowStride;
  for (let k = 0; k < kc; k++) {
    const row = b + (<usize>(offsets ? load<i32>(offsets + (<usize>k << 2)) : k * stride) << 2);
    const av = v128.load32_splat(a);
    c0 = madd(av, v128.load(row), c0);
    c1 = madd(av, v128.load(row, 16), c1);
    c2 = madd(av, v128.load(row, 32), c2);
    c3 = madd(av, v128.load(row, 48), c3);
    a += 16;
  }
  v128.store(tile, c0);
  v128.store(tile, c1, 16);
  v128.store(tile, c2, 32);
  v128.store(tile, c3, 48);
}

/** The rows m0..m1 (fewer than 4) of a strip, 16 columns at a time with gemm1x16Direct. */
function gemmRowsDirect(p: GemmParams, a: usize, src: usize, c: usize, m0: i32, m1: i32, n0: i32, n1: i32, tile: usize): void {
  for (let row = m0; row < m1; row++) {
    const aRow = a + (<usize>((row >> 2) * p.aPanelStride + (row & 3)) << 2);
    const bias = p.bias ? v128.load32_splat(p.bias + (<usize>row << 2)) : f32x4.splat(0);
    for (let t = n0; t < n1; t += 16) {
      gemm1x16Direct(p, p.k, aRow, src + (<usize>t << 2), tile);
      for (let q = 0; q < 2; q++) {
        const part = tile + (<usize>q << 5);
        v128.store(part, f32x4.add(v128.load(part), bias));
        v128.store(part, f32x4.add(v128.load(part, 16), bias), 16);
        if (t + q * 8 < n1) scatterTile(p, part, c, row, 1, t + q * 8, n1, false, p.activation);
      }
    }
  }
}

/** One work item: the C block of (batch entry, split, row block, column strip). */
function gemmBlock(p: GemmParams, batchIndex: i32, split: i32, mBlock: i32, strip: i32, tile: usize, packed: usize): void {
  const m0 = mBlock * p.mBlockRows;
  const m1 = min(p.m, m0 + p.mBlockRows);
  const n0 = strip * p.stripCols;
  const n1 = min(p.n, n0 + p.stripCols);
  if (p.m < 4 && p.reduceBatch == 1 && p.kSplits == 1 && !p.bColOffsets && p.bColStride == 1 && !p.bRunWidth) {
    const a = p.a + (<usize>(batchIndex * p.aBatchStride) << 2);
    const c = p.c + (<usize>(batchIndex * p.cBatchStride) << 2);
    gemmRowsDirect(p, a, p.b + (<usize>(batchIndex * p.bBatchStride) << 2), c, m0, m1, n0, n1, tile);
    return;
  }
  const kTotal = p.reduceBatch * p.k;
  const chunk = (kTotal + p.kSplits - 1) / p.kSplits;
  const r0 = split * chunk;
  const r1 = min(kTotal, r0 + chunk);
  const a = p.a + (<usize>(batchIndex * p.aBatchStride) << 2);
  const c = p.c + (<usize>(batchIndex * p.cBatchStride + split * p.cSplitStride) << 2);
  const contiguousColumns = p.cColPitch == 1;
  let first = true;
  for (let r = r0; r < r1; ) {
    const kc = min(p.kcMax, r1 - r);
    // The activation goes on the finished sum: the last block's (the glue never splits such a GEMM).
    const activation = r + kc >= r1 ? p.activation : -1;
    // A block spans reduction sources where they are short (a weight
    // gradient's small images): a block per image made the micro-kernels
    // add into C after a few k each.
    for (let kk = 0; kk < kc; ) {
      const image = (r + kk) / p.k;
      const k0 = r + kk - image * p.k;
      const rows = min(kc - kk, p.k - k0);
      const src = p.b + (<usize>(batchIndex * p.bBatchStride + image * p.bReduceStride) << 2);
      // The tile's 32 floats are free until the micro-kernels run.
      packB(p, src, k0, rows, n0, n1, packed + (<usize>kk << 5), <usize>kc << 5, tile);
      kk += rows;
    }
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
          if (activation >= 0) activateTile(p, out, <usize>p.cRowStride << 2, 4, activation);
        } else {
          gemm4x8Simd(kc, aPanel, bPanel, tile, 32, false, bias);
          scatterTile(p, tile, c, row0, rows, t, n1, !first, activation);
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

/**
 * Panels [begin, end) of A[m][k] = src[rowOffsets[m] + colOffsets[k]], as
 * [k][4] each (zero rows past m). colOffsets 0 means k itself: rows are
 * contiguous, and four k of four rows are transposed in registers.
 */
export function packA(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<PackAParams>(params);
  for (let panel = begin; panel < end; panel++) {
    let out = p.dst + (<usize>(panel * p.k) << 4);
    const rows = min(4, p.m - panel * 4);
    const r0 = rowStart(p, panel * 4, rows);
    const r1 = rowStart(p, panel * 4 + 1, rows);
    const r2 = rowStart(p, panel * 4 + 2, rows);
    const r3 = rowStart(p, panel * 4 + 3, rows);
    let k = 0;
    if (!p.colOffsets && rows == 4) {
      for (; k + 4 <= p.k; k += 4) {
        const at = <usize>k << 2;
        storeTransposed4x4(v128.load(r0 + at), v128.load(r1 + at), v128.load(r2 + at), v128.load(r3 + at), out, 16);
        out += 64;
      }
    }
    for (; k < p.k; k++) {
      const off = (p.colOffsets ? <usize>load<i32>(p.colOffsets + (<usize>k << 2)) : <usize>k) << 2;
      store<f32>(out, r0 ? load<f32>(r0 + off) : 0);
      store<f32>(out, r1 ? load<f32>(r1 + off) : 0, 4);
      store<f32>(out, r2 ? load<f32>(r2 + off) : 0, 8);
      store<f32>(out, r3 ? load<f32>(r3 + off) : 0, 12);
      out += 16;
    }
  }
}

/** Where row m of A starts, or 0 for the zero rows that pad the last panel. */
@inline function rowStart(p: PackAParams, m: i32, rows: i32): usize {
  return m - (m & ~3) < rows ? p.src + (<usize>load<i32>(p.rowOffsets + (<usize>m << 2)) << 2) : 0;
}
