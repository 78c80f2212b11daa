/**
 * Convolutions as packed GEMMs (gemm.ts), with no im2col matrix:
 *
 * - conv2d: y[o][t] = act(bias[o] + sum over taps k = (c, p, q) of w[o][k] *
 *   B[k][t]), t = i * cols + j running over output rows padded to the relaid
 *   image's width `cols`. After relayout (zero padding, phase split for
 *   strides), row k of B is one contiguous run of the image at
 *   tapOffsets[k]; the columns j >= outW are computed and dropped, unless
 *   rows of 8 let the GEMM take the output pixels alone (skipsPadding).
 * - conv2dBackwardData: for each of the stride x stride output phases, a
 *   stride-1 correlation of the zero-padded dy with that phase's taps of w,
 *   flipped and transposed; with a stride the phases are computed apart and
 *   then woven into dx. Bias and activation as conv2d's (convTranspose2d).
 * - conv2dBackwardFilter: dw[o][k] = sum over (image, t) of dy[o][t] *
 *   B[k][t], the same B read transposed, dy packed as A with zeros in the
 *   dropped columns (or none, on rows of 4). Per-sample mode makes the
 *   images a batch of GEMMs instead of a longer reduction. Fewer than 4
 *   output channels: dot products of dy's rows with the taps' runs instead.
 */
import type { Activation, ConvGeometry } from '../../backend.js';
import type { WasmContext } from './context.js';
import { activationFields, packA, packedSize, runGemm } from './gemm.js';
import { filterDotLayout, interleaveLayout, packRowsLayout, relayoutLayout, writeParams } from './params.js';

/** An image stack as the convolution's B operand reads it. */
interface RelaidImage {
  at: number;
  /** Rows and columns of each phase plane. */
  rows: number;
  cols: number;
  /** Floats per image. */
  imageStride: number;
}

/**
 * The relayout of x [n, cIn, inH, inW] that conv2d's taps read, zero padded
 * with a zero tail. With no padding and stride 1 the input already is that
 * layout, and `allowInPlace` returns it as is (its last row's dropped
 * columns then read a few floats of whatever follows, which only the
 * dropped outputs see).
 */
function relaidInput(ctx: WasmContext, x: number, g: ConvGeometry, allowInPlace: boolean): RelaidImage {
  if (allowInPlace && g.padH === 0 && g.padW === 0 && g.strideH === 1 && g.strideW === 1) {
    return { at: x, rows: g.inH, cols: g.inW, imageStride: g.cIn * g.inH * g.inW };
  }
  const rows = g.outH + Math.floor((g.kH - 1) / g.strideH);
  const cols = g.outW + Math.floor((g.kW - 1) / g.strideW);
  return relayout(ctx, x, g.n, g.cIn, g.inH, g.inW, g.strideH, g.strideW, g.padH, g.padW, rows, cols);
}

/**
 * See RelayoutParams in kernels/wasm/params.ts. The result ends with a zero
 * tail of cols + 40 floats: the GEMM reads up to a row and 32 columns past the
 * last phase plane for the outputs it drops.
 */
function relayout(
  ctx: WasmContext, src: number, images: number, channels: number, inH: number, inW: number,
  strideH: number, strideW: number, padTop: number, padLeft: number, rows: number, cols: number,
): RelaidImage {
  const planes = images * channels;
  const planeFloats = strideH * strideW * rows * cols;
  const tail = cols + 40;
  const at = ctx.temp((planes * planeFloats + tail) * 4);
  const params = writeParams(ctx.heap, ctx.params, relayoutLayout, { src, dst: at, planes, inH, inW, strideH, strideW, padTop, padLeft, rows, cols });
  ctx.pool.run('relayout', params, planes, Math.max(1, Math.floor(16384 / planeFloats)), planes * planeFloats >= 1 << 16);
  ctx.fill(at + planes * planeFloats * 4, tail, 0);
  return { at, rows, cols, imageStride: channels * planeFloats };
}

/** Offset of tap (c, p, q) in a relaid image: its phase plane, then its row and column shift. */
function tapOffsets(g: ConvGeometry, img: RelaidImage): Int32Array {
  const { strideH: sh, strideW: sw } = g;
  const plane = img.rows * img.cols;
  const out = new Int32Array(g.cIn * g.kH * g.kW);
  let k = 0;
  for (let c = 0; c < g.cIn; c++) {
    for (let p = 0; p < g.kH; p++) {
      for (let q = 0; q < g.kW; q++) {
        out[k++] = ((c * sh + (p % sh)) * sw + (q % sw)) * plane + Math.floor(p / sh) * img.cols + Math.floor(q / sw);
      }
    }
  }
  return out;
}

const range = (n: number, f: (i: number) => number) => Int32Array.from({ length: n }, (_, i) => f(i));

export function conv2d(ctx: WasmContext, x: number, w: number, bias: number, y: number, g: ConvGeometry, activation: Activation | null): void {
  const taps = g.cIn * g.kH * g.kW;
  if (taps === 0) {
    biasOnly(ctx, y, g.n, g.cOut, g.outH, g.outW, bias, activation); // no input channels: an empty sum, as js
    return;
  }
  const img = relaidInput(ctx, x, g, true);
  const a = packA(ctx, w, ctx.temp(packedSize(g.cOut, taps) * 4), g.cOut, taps, ctx.table(range(g.cOut, (o) => o * taps)), 0);
  const plane = g.outH * g.outW;
  runGemm(ctx, {
    m: g.cOut,
    k: taps,
    batch: g.n,
    a,
    aPanelStride: taps * 4,
    b: img.at,
    bRowOffsets: ctx.table(tapOffsets(g, img)),
    bColStride: 1,
    bBatchStride: img.imageStride,
    c: y,
    cBatchStride: g.cOut * plane,
    cRowStride: plane,
    cRowPitch: g.outW,
    cColPitch: 1,
    ...gemmColumns(g.outH, g.outW, img.cols, skipsPadding(g.outW, g.cOut)),
    bias,
    activation,
  });
}

/**
 * Whether a convolution's GEMM of `rows` rows can take as columns the output
 * pixels themselves, rows `width` wide, skipping the relaid image's padding
 * columns: when every B panel of 8 is then one run of the image (width a
 * multiple of 8), and the GEMM takes the packed path (4 rows or more).
 */
function skipsPadding(width: number, rows: number): boolean {
  return width % 8 === 0 && rows >= 4;
}

/**
 * The columns of a convolution's GEMM for an output of height x width read
 * from a relaid image `pitch` wide: the output pixels (skipsPadding), or every
 * column of the relaid rows, the ones past `width` computed and dropped.
 */
function gemmColumns(height: number, width: number, pitch: number, skip: boolean) {
  return skip
    ? { n: height * width, bRunWidth: width, bRunPitch: pitch, cWidth: width, cValidWidth: width }
    : { n: height * pitch, cWidth: pitch, cValidWidth: width };
}

/**
 * One output phase of backward-data along one axis: output cells a, a + s,
 * a + 2s... (count of them) receive taps first, first + s, ... (taps of
 * them); the dy row read for phase cell u and reversed tap v is u + shift + v.
 */
interface Phase {
  first: number;
  taps: number;
  shift: number;
  count: number;
}

function phase(a: number, pad: number, stride: number, k: number, size: number): Phase {
  const first = (a + pad) % stride;
  const taps = first < k ? Math.ceil((k - first) / stride) : 0;
  const shift = Math.floor((a + pad) / stride) - taps + 1;
  const count = a < size ? Math.ceil((size - a) / stride) : 0;
  return { first, taps, shift, count };
}

/** dx, then act(dx + bias) when given (convTranspose2d's forward); bias 0 for none. */
export function conv2dBackwardData(ctx: WasmContext, dy: number, w: number, dx: number, g: ConvGeometry, bias: number, activation: Activation | null): void {
  const phases: { a: number; b: number; h: Phase; w: Phase }[] = [];
  for (let a = 0; a < g.strideH; a++) {
    for (let b = 0; b < g.strideW; b++) {
      const h = phase(a, g.padH, g.strideH, g.kH, g.inH);
      const v = phase(b, g.padW, g.strideW, g.kW, g.inW);
      if (h.count === 0 || v.count === 0) continue;
      if (h.taps > 0 && v.taps > 0) phases.push({ a, b, h, w: v });
    }
  }
  if (phases.length === 0 || g.cOut === 0) {
    biasOnly(ctx, dx, g.n, g.cIn, g.inH, g.inW, bias, activation); // no tap reaches dx, or none has a channel
    return;
  }
  const phaseOffsets = new Int32Array(g.strideH * g.strideW).fill(-1);
  // One zero-padded copy of dy serves every phase, each at its own shift.
  const top = Math.max(0, ...phases.map((p) => -p.h.shift));
  const left = Math.max(0, ...phases.map((p) => -p.w.shift));
  const rows = Math.max(...phases.map((p) => top + p.h.shift + p.h.count + p.h.taps - 1));
  const cols = Math.max(...phases.map((p) => left + p.w.shift + p.w.count + p.w.taps - 1));
  const img = relayout(ctx, dy, g.n, g.cOut, g.outH, g.outW, 1, 1, top, left, rows, cols);
  const plane = rows * cols;
  const wTaps = g.kH * g.kW;
  // Strided: each phase fills its own [n, cIn, count, pitch] block of `woven`
  // with whole tiles, and interleavePhases weaves the blocks into dx. Stride 1:
  // the one phase writes dx itself. The blocks share one pitch: the phases'
  // common width where their GEMMs skip the padding columns, else cols.
  const strided = g.strideH > 1 || g.strideW > 1;
  const width = phases[0]!.w.count;
  const skip = skipsPadding(width, g.cIn) && phases.every((p) => p.w.count === width);
  const pitch = skip ? width : cols;
  let wovenSize = 0;
  for (const p of phases) {
    phaseOffsets[p.a * g.strideW + p.b] = wovenSize;
    wovenSize += g.n * g.cIn * p.h.count * pitch;
  }
  const woven = strided ? ctx.temp(wovenSize * 4) : 0;
  for (const { a, b, h, w: v } of phases) {
    const taps = g.cOut * h.taps * v.taps;
    const weightColumn = new Int32Array(taps);
    const dyRow = new Int32Array(taps);
    let k = 0;
    for (let o = 0; o < g.cOut; o++) {
      for (let i = 0; i < h.taps; i++) {
        for (let j = 0; j < v.taps; j++) {
          // Reversed taps: dy row u + shift + i meets kernel row first + stride * (taps - 1 - i).
          weightColumn[k] = o * g.cIn * wTaps + (h.first + g.strideH * (h.taps - 1 - i)) * g.kW + v.first + g.strideW * (v.taps - 1 - j);
          dyRow[k++] = o * plane + (top + h.shift + i) * cols + left + v.shift + j;
        }
      }
    }
    const packed = packA(ctx, w, ctx.temp(packedSize(g.cIn, taps) * 4), g.cIn, taps, ctx.table(range(g.cIn, (c) => c * wTaps)), ctx.table(weightColumn));
    const output = strided
      ? { c: woven + phaseOffsets[a * g.strideW + b]! * 4, cBatchStride: g.cIn * h.count * pitch, cRowStride: h.count * pitch, cRowPitch: pitch }
      : { c: dx, cBatchStride: g.cIn * g.inH * g.inW, cRowStride: g.inH * g.inW, cRowPitch: g.inW };
    runGemm(ctx, {
      m: g.cIn,
      k: taps,
      batch: g.n,
      a: packed,
      aPanelStride: taps * 4,
      b: img.at,
      bRowOffsets: ctx.table(dyRow),
      bColStride: 1,
      bBatchStride: img.imageStride,
      ...output,
      cColPitch: 1,
      // Strided, the woven block keeps the columns past the phase's width: interleavePhases never reads them.
      ...gemmColumns(h.count, strided ? pitch : v.count, cols, skip),
      bias,
      activation,
    });
  }
  if (strided) interleavePhases(ctx, woven, dx, g, pitch, phaseOffsets, bias, activation);
}

/** Writes act(bias) (act(0) without a bias) to every element of out [n, channels, h, w]: a convolution whose sums are all empty. */
function biasOnly(ctx: WasmContext, out: number, n: number, channels: number, h: number, w: number, bias: number, activation: Activation | null): void {
  if (n * channels * h * w === 0) return;
  // interleavePhases writes act(bias) wherever no phase has an output: here, one stride-1 phase that has none.
  interleavePhases(ctx, 0, out, { n, cIn: channels, inH: h, inW: w, strideH: 1, strideW: 1 }, 0, Int32Array.of(-1), bias, activation);
}

/** Weaves the phase blocks at `woven` into dx (see InterleaveParams); the outputs of no phase become act(bias). */
function interleavePhases(
  ctx: WasmContext, woven: number, dx: number, g: Pick<ConvGeometry, 'n' | 'cIn' | 'inH' | 'inW' | 'strideH' | 'strideW'>, pitch: number,
  phaseOffsets: Int32Array, bias: number, activation: Activation | null,
): void {
  const planes = g.n * g.cIn;
  const params = writeParams(ctx.heap, ctx.params, interleaveLayout, {
    src: woven, dst: dx, planes, height: g.inH, width: g.inW, strideH: g.strideH, strideW: g.strideW, pitch,
    phaseOffsets: ctx.table(phaseOffsets), channels: g.cIn, bias, ...activationFields(activation),
  });
  ctx.pool.run('interleavePhases', params, planes, Math.max(1, Math.floor(16384 / (g.inH * g.inW))), planes * g.inH * g.inW >= 1 << 16);
}

export function conv2dBackwardFilter(ctx: WasmContext, x: number, dy: number, dw: number, g: ConvGeometry, perSample: boolean): void {
  const img = relaidInput(ctx, x, g, false);
  if (g.cOut < 4) {
    filterDot(ctx, img, dy, dw, g, perSample);
    return;
  }
  // The reduction runs over each image's output pixels: the relaid rows'
  // padding columns skipped when rows of 4 make every 4 pixels one run of
  // the image, else read and met by zeros in the packed dy.
  const skip = g.outW % 4 === 0;
  const pitch = skip ? g.outW : img.cols;
  const span = g.outH * pitch;
  const panels = Math.ceil(g.cOut / 4);
  const a = ctx.temp(panels * 4 * g.n * span * 4);
  const params = writeParams(ctx.heap, ctx.params, packRowsLayout, {
    src: dy, dst: a, images: g.n, rows: g.cOut, height: g.outH, width: g.outW, pitch, span,
  });
  ctx.pool.run('packRows', params, g.n * panels, 1, g.n * g.cOut * span >= 1 << 16);
  const taps = g.cIn * g.kH * g.kW;
  runGemm(ctx, {
    m: g.cOut,
    n: taps,
    k: span,
    batch: perSample ? g.n : 1,
    reduceBatch: perSample ? 1 : g.n,
    a,
    aBatchStride: perSample ? span * 4 : 0,
    aPanelStride: g.n * span * 4,
    b: img.at,
    bRowStride: 1,
    bColOffsets: ctx.table(tapOffsets(g, img)),
    ...(skip ? { bRunWidth: g.outW, bRunPitch: img.cols } : {}),
    bBatchStride: perSample ? img.imageStride : 0,
    bReduceStride: perSample ? 0 : img.imageStride,
    c: dw,
    cBatchStride: g.cOut * taps,
    cRowStride: taps,
    cWidth: taps,
    cValidWidth: taps,
    cRowPitch: 0,
    cColPitch: 1,
    splittable: true,
  });
}

/**
 * The weight gradient of fewer than 4 output channels (a U-Net's last
 * layer) as dot products (see FilterDotParams): the GEMM ran at 5-6 GFLOP/s
 * there, its 4-row tile mostly zeros and each packed B value used once.
 */
function filterDot(ctx: WasmContext, img: RelaidImage, dy: number, dw: number, g: ConvGeometry, perSample: boolean): void {
  const taps = g.cIn * g.kH * g.kW;
  const samples = perSample ? g.n : 1;
  const params = writeParams(ctx.heap, ctx.params, filterDotLayout, {
    x: img.at, imageStride: img.imageStride, cols: img.cols, taps: ctx.table(tapOffsets(g, img)), tapCount: taps,
    dy, dw, images: g.n / samples, channels: g.cOut, height: g.outH, width: g.outW,
  });
  const items = samples * g.cOut * Math.ceil(taps / 4);
  ctx.pool.run('filterDot', params, items, 1, g.n * g.cOut * g.outH * g.outW * taps >= 1 << 20);
}
