// Parameter blocks: what a kernel needs past a few numbers, written by the
// glue (engine/backends/wasm/params.ts declares the same fields in the same
// order) into the shared memory. Every field is 4 bytes; pointers are byte
// offsets, strides and sizes are in float32 elements.

/** y[i] = op(x[i]) for i < n; the chunk size splits the work between threads. */
@unmanaged export class UnaryParams {
  op: i32;
  x: usize;
  y: usize;
  n: i32;
  chunk: i32;
  alpha: f32;
  beta: f32;
}

/** dx = dy * the derivative of activation op (a UnaryOp: relu, leakyRelu, tanh) read off y, for n values in chunks. */
@unmanaged export class ActivationParams {
  op: i32;
  dy: usize;
  y: usize;
  dx: usize;
  n: i32;
  chunk: i32;
  alpha: f32;
}

/** y = a op b over a collapsed broadcast geometry of rank <= 6 (innermost last). */
@unmanaged export class BinaryParams {
  op: i32;
  a: usize;
  b: usize;
  y: usize;
  rank: i32;
  shape0: i32; shape1: i32; shape2: i32; shape3: i32; shape4: i32; shape5: i32;
  aStride0: i32; aStride1: i32; aStride2: i32; aStride3: i32; aStride4: i32; aStride5: i32;
  bStride0: i32; bStride1: i32; bStride2: i32; bStride3: i32; bStride4: i32; bStride5: i32;
}

/**
 * A strided copy of rank <= 6 (innermost last), from src (its offset
 * included) to dst; firstRow: the first work item of its rows in a job of
 * several copies.
 */
@unmanaged export class CopyEntry {
  src: usize;
  dst: usize;
  rank: i32;
  shape0: i32; shape1: i32; shape2: i32; shape3: i32; shape4: i32; shape5: i32;
  srcStride0: i32; srcStride1: i32; srcStride2: i32; srcStride3: i32; srcStride4: i32; srcStride5: i32;
  dstStride0: i32; dstStride1: i32; dstStride2: i32; dstStride3: i32; dstStride4: i32; dstStride5: i32;
  firstRow: i32;
}

/** `count` copies (CopyEntry blocks one after another at table) in one job; a work item is a row of one of them. */
@unmanaged export class CopyParams {
  table: usize;
  count: i32;
}

/** x viewed as [outer, reduce, inner] summed over the middle axis into y [outer, inner]. */
@unmanaged export class ReduceParams {
  x: usize;
  y: usize;
  outer: i32;
  reduce: i32;
  inner: i32;
  /** Columns of y per work item when inner > 1. */
  innerChunk: i32;
}

/** Average pooling and nearest upsampling and reflection padding share one block. */
@unmanaged export class ResampleParams {
  x: usize;
  y: usize;
  planes: i32;
  inH: i32;
  inW: i32;
  outH: i32;
  outW: i32;
  kH: i32;
  kW: i32;
  strideH: i32;
  strideW: i32;
  /** Pooling: zero padding. Reflection padding: top and left. */
  padH: i32;
  padW: i32;
  countIncludePad: i32;
  /** Upsampling factor. */
  scale: i32;
}

/**
 * The zero-padded, phase-split copy of an image stack that lets a strided
 * convolution read each input row of its GEMM as one contiguous run:
 * dst[plane][a][b][r][q] = src[plane][strideH*r + a - padTop][strideW*q + b - padLeft]
 * (0 outside), a < strideH, b < strideW, r < rows, q < cols.
 */
@unmanaged export class RelayoutParams {
  src: usize;
  dst: usize;
  planes: i32;
  inH: i32;
  inW: i32;
  strideH: i32;
  strideW: i32;
  padTop: i32;
  padLeft: i32;
  rows: i32;
  cols: i32;
}

/**
 * src [images][rows][height][width] packed as the GEMM's A operand with the
 * reduction running over (image, pixel): panel p holds rows 4p..4p+3 as
 * dst[p][img * span + i * pitch + j][row - 4p], zero where j >= width, past
 * height * pitch, and for rows past the last.
 */
@unmanaged export class PackRowsParams {
  src: usize;
  dst: usize;
  images: i32;
  rows: i32;
  height: i32;
  width: i32;
  /** Row pitch of the packed layout (>= width). */
  pitch: i32;
  /** Packed columns per image: a multiple of 4 >= height * pitch. */
  span: i32;
}

/**
 * A weight gradient with fewer output channels than the GEMM's 4-row tile:
 * dw[sample][o][tap] = sum over the sample's images and output pixels (i, j)
 * of dy[image][o][i][j] * x[image][taps[tap] + i * cols + j], x relaid
 * (imageStride floats per image, rows cols apart), taps an i32 table.
 */
@unmanaged export class FilterDotParams {
  x: usize;
  imageStride: i32;
  cols: i32;
  taps: usize;
  tapCount: i32;
  dy: usize;
  dw: usize;
  /** Images summed into each sample's gradient (the batch, or 1 per sample). */
  images: i32;
  channels: i32;
  height: i32;
  width: i32;
}

/**
 * dst [planes][height][width] from the stride phases of a backward-data pass:
 * cell (y, x) is phase (y % strideH, x % strideW) at (y / strideH, x / strideW).
 * Phase (a, b) sits at src + phaseOffsets[a * strideW + b] (an element offset,
 * -1 for a phase no tap reaches) as [planes][its rows][pitch].
 */
@unmanaged export class InterleaveParams {
  src: usize;
  dst: usize;
  planes: i32;
  height: i32;
  width: i32;
  strideH: i32;
  strideW: i32;
  pitch: i32;
  phaseOffsets: usize;
  /** The outputs no phase computes (no taps reach them) are act(bias[plane % channels]), act as in GemmParams. */
  channels: i32;
  bias: usize;
  activation: i32;
  activationAlpha: f32;
}

/** A[m][k] = src[rowOffsets[m] + colOffsets[k]] (colOffsets 0: k itself), packed into panels of 4 rows. */
@unmanaged export class PackAParams {
  src: usize;
  dst: usize;
  m: i32;
  k: i32;
  rowOffsets: usize;
  colOffsets: usize;
}

/**
 * C = A B (+ bias), A packed in panels of 4 rows ([k][4] each), B read
 * through offsets: B[k][j] = b[bRowOffset(k) + bColOffset(j)] where each
 * offset comes from its table when the pointer is non-zero, else from
 * index * stride. C column j lands at row (j / cWidth), column (j % cWidth)
 * of an output plane, and only when that column is < cValidWidth.
 */
@unmanaged export class GemmParams {
  m: i32;
  n: i32;
  k: i32;
  /** Independent problems (images); each has its own B and C, and its own A unless aBatchStride is 0. */
  batch: i32;
  /** The reduction also runs over this many consecutive B sources (images), A staying contiguous. */
  reduceBatch: i32;
  /** The reduction split into this many chunks, each writing its own copy of C at cSplitStride. */
  kSplits: i32;
  mBlocks: i32;
  mBlockRows: i32;
  strips: i32;
  stripCols: i32;
  kcMax: i32;
  a: usize;
  aBatchStride: i32;
  /** Elements between consecutive packed panels of A. */
  aPanelStride: i32;
  b: usize;
  bRowOffsets: usize;
  bRowStride: i32;
  bColOffsets: usize;
  bColStride: i32;
  /**
   * When not 0, B's contiguous axis (its columns when bColStride is 1, else
   * its rows when bRowStride is 1) is an image's output rows without the
   * padding columns between them: index t is at (t / bRunWidth) * bRunPitch
   * + t % bRunWidth. bRunWidth is a multiple of 8 for columns.
   */
  bRunWidth: i32;
  bRunPitch: i32;
  bBatchStride: i32;
  bReduceStride: i32;
  c: usize;
  cBatchStride: i32;
  cSplitStride: i32;
  cRowStride: i32;
  cWidth: i32;
  cValidWidth: i32;
  cRowPitch: i32;
  cColPitch: i32;
  bias: usize;
  /** The unary op (UnaryOp's index) applied after the bias to the finished C, or -1; its alpha. */
  activation: i32;
  activationAlpha: f32;
  scratch: usize;
  scratchStride: i32;
}

/** y[i] = sum over s < splits of x[s * stride + i], for i < n. */
@unmanaged export class SumSplitsParams {
  x: usize;
  y: usize;
  n: i32;
  splits: i32;
  stride: i32;
  chunk: i32;
}

/**
 * Instance norm of `planes` planes of `size` values (plane p has channel
 * p % channels); weight and bias are 0 when absent. The forward pass reads
 * x, weight, bias and writes y and stats; the backward pass reads x, stats,
 * dy, weight (and y, with an activation) and writes dx, dWeight, dBias.
 */
@unmanaged export class NormParams {
  x: usize;
  weight: usize;
  bias: usize;
  y: usize;
  stats: usize;
  dy: usize;
  dx: usize;
  dWeight: usize;
  dBias: usize;
  planes: i32;
  channels: i32;
  size: i32;
  eps: f32;
  activation: i32; // a UnaryOp applied after the affine (relu, leakyRelu, tanh), -1: none
  activationAlpha: f32;
}

/**
 * squares[n] = sum over the `count` tensors of table of the squares of their
 * sample n, n < batch. The table holds per tensor: its pointer and its values
 * per sample (two i32s).
 */
@unmanaged export class SquaresParams {
  table: usize;
  count: i32;
  squares: usize;
  batch: i32;
}

/**
 * The clipped sums of `count` tensors: y_k[i] = scale (sum over n < batch of
 * factors[n] x_k[n, i] + noiseStd z_k[i]), z_k the stream of key (seed,
 * seedHigh) and counter_k.
 * The table holds per tensor x, y, size, counter and its first work item
 * (five i32s); a work item is `chunk` four-element blocks of one tensor.
 */
@unmanaged export class ClippedSumParams {
  table: usize;
  count: i32;
  factors: usize;
  batch: i32;
  seed: u32;
  seedHigh: u32;
  chunk: i32;
  noiseStd: f32;
  scale: f32;
}

/**
 * One Adam step over `count` parameters. The table holds per parameter its
 * param, grad, m and v pointers, its size, its first work item, its stepSize
 * and sqrtCorrection2 (engine/backend.ts AdamEntry; six i32s, two f32s); a
 * work item is `chunk` elements of one parameter.
 */
@unmanaged export class AdamParams {
  table: usize;
  count: i32;
  chunk: i32;
  beta1: f32;
  beta2: f32;
  eps: f32;
  weightDecay: f32;
}

/**
 * A point-wise loss (LossOp) over n elements of a and b (b 0: the constant
 * target): its mean into y, or its gradient dy[0] op'(a - b) / n into da, in
 * chunks of elements.
 */
@unmanaged export class LossParams {
  op: i32;
  a: usize;
  b: usize;
  target: f32;
  n: i32;
  y: usize;
  dy: usize;
  da: usize;
  chunk: i32;
}

/** n standard normals into y from the Philox stream of key (seed, seedHigh) and counter; chunk: four-draw blocks per work item. */
@unmanaged export class RandomParams {
  y: usize;
  n: i32;
  seed: u32;
  seedHigh: u32;
  counter: u32;
  chunk: i32;
}

export function unaryParamsBytes(): i32 { return offsetof<UnaryParams>(); }
export function activationParamsBytes(): i32 { return offsetof<ActivationParams>(); }
export function binaryParamsBytes(): i32 { return offsetof<BinaryParams>(); }
export function copyParamsBytes(): i32 { return offsetof<CopyParams>(); }
export function copyEntryParamsBytes(): i32 { return offsetof<CopyEntry>(); }
export function reduceParamsBytes(): i32 { return offsetof<ReduceParams>(); }
export function resampleParamsBytes(): i32 { return offsetof<ResampleParams>(); }
export function relayoutParamsBytes(): i32 { return offsetof<RelayoutParams>(); }
export function packRowsParamsBytes(): i32 { return offsetof<PackRowsParams>(); }
export function filterDotParamsBytes(): i32 { return offsetof<FilterDotParams>(); }
export function packAParamsBytes(): i32 { return offsetof<PackAParams>(); }
export function gemmParamsBytes(): i32 { return offsetof<GemmParams>(); }
export function sumSplitsParamsBytes(): i32 { return offsetof<SumSplitsParams>(); }
export function interleaveParamsBytes(): i32 { return offsetof<InterleaveParams>(); }
export function adamParamsBytes(): i32 { return offsetof<AdamParams>(); }
export function normParamsBytes(): i32 { return offsetof<NormParams>(); }
export function squaresParamsBytes(): i32 { return offsetof<SquaresParams>(); }
export function clippedSumParamsBytes(): i32 { return offsetof<ClippedSumParams>(); }
export function randomParamsBytes(): i32 { return offsetof<RandomParams>(); }
export function lossParamsBytes(): i32 { return offsetof<LossParams>(); }
