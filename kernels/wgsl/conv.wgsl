// Convolutions and matrix products as one tiled GEMM: C[rows, cols] = A[rows, depth] B[depth, cols].
//
// Each entry point only says what A, B and C are; none materialises them
// (implicit GEMM: no im2col buffer). Per entry point, for workgroup z:
//   conv2d               A = w [cOut, cIn*kH*kW]   B = x gathered per tap [cIn*kH*kW, outH*outW]
//                        C = y of sample z (+ bias)
//   conv2dBackwardData   one stride phase (ph, pw) of sample b per z: only the taps p = p0 + strideH*tp
//                        reach the rows r = ph + strideH*ri, so the zero taps of a strided convolution are
//                        never visited. A = w read as [cIn, cOut*tapsH*tapsW], B = dy gathered per tap,
//                        C = the phase's cells of dx
//   conv2dBackwardFilter A = dy [cOut, samples*outH*outW], B = x gathered [samples*outH*outW, cIn*kH*kW],
//                        C = dw; z = group * splits + split. Depth is split into `splits` slices written to
//                        separate [rows, cols] slabs (summed afterwards by reduceSum), so that the long
//                        depth of a weight gradient still fills the GPU. perSample: one group per sample.
//   matmul               A = a[z] (or its transpose), B = b[z] (or its transpose), C = y[z]
//
// Tiling: a workgroup of WG_X x WG_Y invocations computes a TILE_M x TILE_N block of C, staging
// TILE_M x TILE_K of A and TILE_K x TILE_N of B in workgroup memory per step along depth. Each
// invocation accumulates a 4 x 4 block of C in registers, rows 4 ly .. 4 ly + 3 and columns
// 4 lx .. 4 lx + 3, so that per four steps of depth it reads four vec4s of each tile for 64
// multiply-adds, and neighbouring invocations write neighbouring 16-byte runs of C. Tile loads put
// neighbouring invocations on neighbouring depth (A) and columns (B), the directions that are
// contiguous in memory for the forward convolution. WG_X, WG_Y and TILE_K are chosen by the glue
// (engine/backends/webgpu/conv.ts) from the adapter's limits. TILE_K is a multiple of 4 that divides
// WG_X * WG_Y, so each invocation loads A at one fixed depth. When WG_X * WG_Y is a multiple of TILE_N
// it also loads B in one fixed column, whose gather offsets it works out once; the flat tiles for
// problems of 1 to 4 rows are wider than their workgroup and work them out per load.

struct ConvUniforms {
  n: u32, cIn: u32, inH: u32, inW: u32,
  cOut: u32, kH: u32, kW: u32, strideH: u32,
  strideW: u32, padH: u32, padW: u32, outH: u32,
  outW: u32, hasBias: u32,
  // conv2dBackwardFilter: whether each sample keeps its gradient, and the depth split
  perSample: u32, splits: u32, splitDepth: u32,
  // matmul
  m: u32, k: u32, cols: u32, aBatchStride: u32, bBatchStride: u32,
  // conv2d and conv2dBackwardData: 1 + the unaryOp index of the activation after the bias (0: none)
  activation: u32, activationAlpha: f32,
}

@group(0) @binding(0) var<uniform> u: ConvUniforms;
@group(0) @binding(1) var<storage, read_write> result: array<f32>;
@group(0) @binding(2) var<storage, read> aMatrix: array<f32>;
@group(0) @binding(3) var<storage, read> bMatrix: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

override WG_X: u32 = 16;
override WG_Y: u32 = 16;
override TILE_K: u32 = 16;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
const PER_THREAD = 4u; // rows and columns of C per invocation
override TILE_M: u32 = WG_Y * PER_THREAD;
override TILE_N: u32 = WG_X * PER_THREAD;
override THREADS: u32 = WG_X * WG_Y;

// vec4s so that the inner loop reads four depths of A, or four columns of B, at once
var<workgroup> tileA: array<vec4<f32>, TILE_M * TILE_K / 4>; // [row][depth]
var<workgroup> tileB: array<vec4<f32>, TILE_K * TILE_N / 4>; // [depth][column]

const CONV2D = 0u;
const BACKWARD_DATA = 1u;
const BACKWARD_FILTER = 2u;
const MATMUL = 3u;

/** The GEMM one workgroup layer (z) solves, and what its loaders need. */
struct Problem {
  rows: u32,
  cols: u32,
  depth: u32,
  batch: u32, // the sample (convolutions) or matrix (matmul)
  depthBegin: u32, // backward filter: the first (sample, pixel) of this split
  outOffset: u32, // where this layer's C starts in `result`
  // backward data: the stride phase
  ph: u32, pw: u32, // first output row and column of the phase
  p0: u32, q0: u32, // first tap row and column that reaches the phase
  tapsH: u32, tapsW: u32,
  phaseW: u32, // cells per row of the phase
  shiftH: u32, shiftW: u32, // dy row of (ri, tap 0) is ri + shiftH
}

fn ceilDiv(a: u32, b: u32) -> u32 {
  return (a + b - 1u) / b;
}

fn problemFor(mode: u32, z: u32) -> Problem {
  var p: Problem;
  switch mode {
    case CONV2D: {
      p.rows = u.cOut;
      p.cols = u.outH * u.outW;
      p.depth = u.cIn * u.kH * u.kW;
      p.batch = z;
      p.outOffset = z * u.cOut * p.cols;
    }
    case BACKWARD_DATA: {
      let phases = u.strideH * u.strideW;
      p.batch = z / phases;
      let phase = z % phases;
      p.ph = phase / u.strideW;
      p.pw = phase % u.strideW;
      p.p0 = (p.ph + u.padH) % u.strideH;
      p.q0 = (p.pw + u.padW) % u.strideW;
      p.tapsH = select(0u, ceilDiv(u.kH - p.p0, u.strideH), u.kH > p.p0);
      p.tapsW = select(0u, ceilDiv(u.kW - p.q0, u.strideW), u.kW > p.q0);
      p.shiftH = (p.ph + u.padH - p.p0) / u.strideH;
      p.shiftW = (p.pw + u.padW - p.q0) / u.strideW;
      p.phaseW = select(0u, ceilDiv(u.inW - p.pw, u.strideW), u.inW > p.pw);
      let phaseH = select(0u, ceilDiv(u.inH - p.ph, u.strideH), u.inH > p.ph);
      p.rows = u.cIn;
      p.cols = phaseH * p.phaseW;
      p.depth = u.cOut * p.tapsH * p.tapsW;
      p.outOffset = p.batch * u.cIn * u.inH * u.inW;
    }
    case BACKWARD_FILTER: {
      let group = z / u.splits;
      let split = z % u.splits;
      let pixels = u.outH * u.outW;
      let groupDepth = select(u.n * pixels, pixels, u.perSample == 1u);
      let begin = min(split * u.splitDepth, groupDepth);
      p.rows = u.cOut;
      p.cols = u.cIn * u.kH * u.kW;
      p.depth = min(u.splitDepth, groupDepth - begin);
      p.depthBegin = group * select(0u, pixels, u.perSample == 1u) + begin;
      p.outOffset = z * p.rows * p.cols;
    }
    default: { // MATMUL
      p.rows = u.m;
      p.cols = u.cols;
      p.depth = u.k;
      p.batch = z;
      p.outOffset = z * u.m * u.cols;
    }
  }
  return p;
}

/** What an invocation knows about the one column of B it loads: where its taps start. */
struct Column {
  valid: bool,
  base: u32, // offset of the image plane (or matrix) the column reads
  y: i32, // input row of tap (0, 0), or the column's dy row, per mode
  x: i32,
}

fn columnOf(mode: u32, p: Problem, col: u32) -> Column {
  var c: Column;
  c.valid = col < p.cols;
  switch mode {
    case CONV2D: {
      c.base = p.batch * u.cIn * u.inH * u.inW;
      c.y = i32((col / u.outW) * u.strideH) - i32(u.padH);
      c.x = i32((col % u.outW) * u.strideW) - i32(u.padW);
    }
    case BACKWARD_DATA: {
      c.base = p.batch * u.cOut * u.outH * u.outW;
      c.y = i32(col / max(p.phaseW, 1u) + p.shiftH);
      c.x = i32(col % max(p.phaseW, 1u) + p.shiftW);
    }
    case BACKWARD_FILTER: {
      let taps = u.kH * u.kW;
      c.base = (col / taps) * u.inH * u.inW;
      c.y = i32((col % taps) / u.kW) - i32(u.padH);
      c.x = i32(col % u.kW) - i32(u.padW);
    }
    default: {
      c.base = p.batch * u.bBatchStride + select(col, col * u.k, TRANS_B);
    }
  }
  return c;
}

fn inside(y: i32, x: i32, h: u32, w: u32) -> bool {
  return y >= 0 && x >= 0 && u32(y) < h && u32(x) < w;
}

/** A[row, k] of the layer's problem; the caller keeps row and k in range. */
fn loadA(mode: u32, p: Problem, row: u32, k: u32) -> f32 {
  switch mode {
    case CONV2D: {
      return aMatrix[row * p.depth + k];
    }
    case BACKWARD_DATA: { // w[o, c = row, p0 + strideH*tp, q0 + strideW*tq]
      let taps = p.tapsH * p.tapsW;
      let o = k / taps;
      let tp = (k % taps) / p.tapsW;
      let tq = k % p.tapsW;
      return aMatrix[((o * u.cIn + row) * u.kH + p.p0 + u.strideH * tp) * u.kW + p.q0 + u.strideW * tq];
    }
    case BACKWARD_FILTER: { // dy[sample, o = row, pixel]
      let pixels = u.outH * u.outW;
      let d = p.depthBegin + k;
      return aMatrix[((d / pixels) * u.cOut + row) * pixels + d % pixels];
    }
    default: {
      return aMatrix[p.batch * u.aBatchStride + select(row * u.k + k, k * u.m + row, TRANS_A)];
    }
  }
}

/** B[k, column] of the layer's problem, zero outside the image; the caller keeps k in range. */
fn loadB(mode: u32, p: Problem, k: u32, c: Column) -> f32 {
  switch mode {
    case CONV2D: { // x[sample, channel, y + tap row, x + tap column]
      let taps = u.kH * u.kW;
      let y = c.y + i32((k % taps) / u.kW);
      let x = c.x + i32(k % u.kW);
      if (!inside(y, x, u.inH, u.inW)) { return 0.0; }
      return bMatrix[c.base + ((k / taps) * u.inH + u32(y)) * u.inW + u32(x)];
    }
    case BACKWARD_DATA: { // dy[sample, o, ri + shiftH - tp, rj + shiftW - tq]
      let taps = p.tapsH * p.tapsW;
      let y = c.y - i32((k % taps) / p.tapsW);
      let x = c.x - i32(k % p.tapsW);
      if (!inside(y, x, u.outH, u.outW)) { return 0.0; }
      return bMatrix[c.base + ((k / taps) * u.outH + u32(y)) * u.outW + u32(x)];
    }
    case BACKWARD_FILTER: { // x[sample, channel, i*strideH + tap row - padH, ...]
      let d = p.depthBegin + k;
      let pixels = u.outH * u.outW;
      let pixel = d % pixels;
      let y = c.y + i32((pixel / u.outW) * u.strideH);
      let x = c.x + i32((pixel % u.outW) * u.strideW);
      if (!inside(y, x, u.inH, u.inW)) { return 0.0; }
      return bMatrix[(d / pixels) * u.cIn * u.inH * u.inW + c.base + u32(y) * u.inW + u32(x)];
    }
    default: {
      return bMatrix[c.base + select(k * u.cols, k, TRANS_B)];
    }
  }
}

//! include _unary.wgsl

/** A convolution's output channel `row`: its bias, then its activation. */
fn finish(row: u32, value: f32) -> f32 {
  var v = value;
  if (u.hasBias == 1u) { v += bias[row]; }
  if (u.activation > 0u) { v = unaryOp(u.activation - 1u, v, u.activationAlpha, 0.0); }
  return v;
}

fn store(mode: u32, p: Problem, row: u32, col: u32, value: f32) {
  switch mode {
    case CONV2D: {
      result[p.outOffset + row * p.cols + col] = finish(row, value);
    }
    case BACKWARD_DATA: {
      let y = p.ph + u.strideH * (col / p.phaseW);
      let x = p.pw + u.strideW * (col % p.phaseW);
      result[p.outOffset + (row * u.inH + y) * u.inW + x] = finish(row, value);
    }
    default: {
      result[p.outOffset + row * p.cols + col] = value;
    }
  }
}

fn gemmTile(mode: u32, wg: vec3u, local: vec3u, li: u32) {
  let p = problemFor(mode, wg.z);
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  if (row0 >= p.rows || col0 >= p.cols) { return; } // the grid covers the widest layer
  let column = columnOf(mode, p, col0 + li % TILE_N);
  let aDepth = li % TILE_K;
  var acc: array<vec4<f32>, PER_THREAD>; // acc[i][j]: row 4 ly + i, column 4 lx + j
  for (var k0 = 0u; k0 < p.depth; k0 += TILE_K) {
    for (var l = li; l < TILE_M * TILE_K; l += THREADS) {
      let row = row0 + l / TILE_K;
      let k = k0 + aDepth;
      var a = 0.0;
      if (row < p.rows && k < p.depth) { a = loadA(mode, p, row, k); }
      tileA[l / 4u][l % 4u] = a;
    }
    for (var l = li; l < TILE_K * TILE_N; l += THREADS) {
      let k = k0 + l / TILE_N;
      var c = column;
      if (THREADS % TILE_N != 0u) { c = columnOf(mode, p, col0 + l % TILE_N); } // a tile wider than the workgroup
      var b = 0.0;
      if (c.valid && k < p.depth) { b = loadB(mode, p, k, c); }
      tileB[l / 4u][l % 4u] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk += 4u) {
      var b: array<vec4<f32>, 4>; // depth kk + t, this invocation's four columns
      for (var t = 0u; t < 4u; t++) {
        b[t] = tileB[((kk + t) * TILE_N) / 4u + local.x];
      }
      for (var i = 0u; i < PER_THREAD; i++) {
        let a = tileA[((PER_THREAD * local.y + i) * TILE_K + kk) / 4u]; // row i, depth kk .. kk + 3
        acc[i] = fma(vec4(a.x), b[0], acc[i]);
        acc[i] = fma(vec4(a.y), b[1], acc[i]);
        acc[i] = fma(vec4(a.z), b[2], acc[i]);
        acc[i] = fma(vec4(a.w), b[3], acc[i]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < PER_THREAD; i++) {
    let row = row0 + PER_THREAD * local.y + i;
    for (var j = 0u; j < PER_THREAD; j++) {
      let col = col0 + PER_THREAD * local.x + j;
      if (row < p.rows && col < p.cols) { store(mode, p, row, col, acc[i][j]); }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn conv2d(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) local: vec3u,
          @builtin(local_invocation_index) li: u32) {
  gemmTile(CONV2D, wg, local, li);
}

@compute @workgroup_size(WG_X, WG_Y)
fn conv2dBackwardData(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) local: vec3u,
                      @builtin(local_invocation_index) li: u32) {
  gemmTile(BACKWARD_DATA, wg, local, li);
}

@compute @workgroup_size(WG_X, WG_Y)
fn conv2dBackwardFilter(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) local: vec3u,
                        @builtin(local_invocation_index) li: u32) {
  gemmTile(BACKWARD_FILTER, wg, local, li);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) local: vec3u,
          @builtin(local_invocation_index) li: u32) {
  gemmTile(MATMUL, wg, local, li);
}
