/**
 * Glue for kernels/wgsl/conv.wgsl: the convolutions and matmul as tiled
 * implicit GEMMs. Chooses the workgroup tile from the adapter's limits and
 * the problem's row count, and splits the long depth of a weight gradient
 * into slabs that a reduceSum adds up.
 */
import { unaryOps, type Activation, type ConvGeometry, type Handle, type MatmulGeometry } from '../../backend.js';
import { reduceSum } from './reduce.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

/** Rows and columns of C each invocation accumulates (PER_THREAD in conv.wgsl). */
const PER_THREAD = 4;

/** A workgroup tile: WG_X x WG_Y invocations, TILE_K deep; it covers (4 WG_Y) x (4 WG_X) of C. */
export interface GemmTile {
  WG_X: number;
  WG_Y: number;
  TILE_K: number;
}

/**
 * The tile for a GEMM with `rows` rows: 64 x 64 (256 invocations) in general,
 * flatter and wider when there are few rows (a convolution to 1 or 3
 * channels: 4 x 256), the first that the adapter's limits allow, deepest
 * first. conv.wgsl needs TILE_K to be a multiple of 4 dividing WG_X * WG_Y.
 */
export function gemmTile(limits: GPUSupportedLimits, rows: number): GemmTile {
  const shapes =
    rows <= 4 ? [[64, 1], [32, 1]] : rows <= 16 ? [[64, 4], [32, 4], [16, 4]] : rows <= 32 ? [[32, 8], [16, 8], [8, 8]] : [[16, 16], [16, 8], [8, 8]];
  for (const [x, y] of [...shapes, [8, 4]] as [number, number][]) {
    for (const k of [16, 8, 4]) {
      const fits =
        x * y <= limits.maxComputeInvocationsPerWorkgroup &&
        x <= limits.maxComputeWorkgroupSizeX &&
        y <= limits.maxComputeWorkgroupSizeY &&
        (x * y) % k === 0 &&
        PER_THREAD * (x + y) * k * 4 <= limits.maxComputeWorkgroupStorageSize;
      if (fits) return { WG_X: x, WG_Y: y, TILE_K: k };
    }
  }
  throw new RangeError("webgpu: the adapter's compute limits are too small for the convolution kernels");
}

/** Mirrors `struct ConvUniforms` in conv.wgsl. */
interface ConvFields {
  conv?: ConvGeometry;
  hasBias?: boolean;
  activation?: Activation | null;
  perSample?: boolean;
  splits?: number;
  splitDepth?: number;
  matmul?: MatmulGeometry;
}

function convUniforms(f: ConvFields): UniformWriter {
  const g = f.conv;
  const w = new UniformWriter();
  for (const v of [g?.n, g?.cIn, g?.inH, g?.inW, g?.cOut, g?.kH, g?.kW, g?.strideH, g?.strideW, g?.padH, g?.padW, g?.outH, g?.outW]) w.u32(v ?? 0);
  w.bool(f.hasBias ?? false).bool(f.perSample ?? false).u32(f.splits ?? 1).u32(f.splitDepth ?? 0);
  const m = f.matmul;
  w.u32(m?.m ?? 0).u32(m?.k ?? 0).u32(m?.n ?? 0).u32(m?.aBatchStride ?? 0).u32(m?.bBatchStride ?? 0);
  const a = f.activation;
  return w.u32(a ? unaryOps.indexOf(a.op) + 1 : 0).f32(a?.alpha ?? 0);
}

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** Launches one conv.wgsl entry point over `layers` GEMMs of at most rows x cols. */
function gemm(
  rt: GpuRuntime,
  entry: string,
  size: { rows: number; cols: number; layers: number },
  fields: ConvFields,
  output: Handle,
  inputs: readonly (Handle | null)[],
  flags: { TRANS_A?: boolean; TRANS_B?: boolean } = {},
): void {
  const tile = gemmTile(rt.limits, size.rows);
  rt.dispatch({
    shader: 'conv',
    entry,
    constants: { ...tile, ...flags },
    uniforms: convUniforms(fields),
    output,
    inputs,
    workgroups: [ceilDiv(size.cols, PER_THREAD * tile.WG_X), ceilDiv(size.rows, PER_THREAD * tile.WG_Y), size.layers],
  });
}

export function conv2d(rt: GpuRuntime, x: Handle, w: Handle, bias: Handle | null, y: Handle, g: ConvGeometry, activation: Activation | null): void {
  const size = { rows: g.cOut, cols: g.outH * g.outW, layers: g.n };
  gemm(rt, 'conv2d', size, { conv: g, hasBias: bias !== null, activation }, y, [w, x, bias]);
}

export function conv2dBackwardData(
  rt: GpuRuntime, dy: Handle, w: Handle, dx: Handle, g: ConvGeometry, bias: Handle | null, activation: Activation | null,
): void {
  // One layer per (sample, stride phase); the widest phase is the one starting at row and column 0.
  const cols = ceilDiv(g.inH, g.strideH) * ceilDiv(g.inW, g.strideW);
  const size = { rows: g.cIn, cols, layers: g.n * g.strideH * g.strideW };
  gemm(rt, 'conv2dBackwardData', size, { conv: g, hasBias: bias !== null, activation }, dx, [w, dy, bias]);
}

/** Workgroups a GEMM should come to before its depth is worth splitting further. */
const TARGET_WORKGROUPS = 512;
/** The shortest depth slab worth a workgroup of its own. */
const MIN_SPLIT_DEPTH = 256;

export function conv2dBackwardFilter(rt: GpuRuntime, x: Handle, dy: Handle, dw: Handle, g: ConvGeometry, perSample: boolean): void {
  const rows = g.cOut;
  const cols = g.cIn * g.kH * g.kW;
  const tile = gemmTile(rt.limits, rows);
  const groups = perSample ? g.n : 1;
  const groupDepth = (perSample ? 1 : g.n) * g.outH * g.outW;
  const tiles = ceilDiv(rows, PER_THREAD * tile.WG_Y) * ceilDiv(cols, PER_THREAD * tile.WG_X) * groups;
  const maxSplits = Math.min(
    Math.max(1, Math.floor(groupDepth / MIN_SPLIT_DEPTH)),
    Math.floor(rt.limits.maxComputeWorkgroupsPerDimension / Math.max(groups, 1)),
  );
  const wanted = Math.max(1, Math.min(ceilDiv(TARGET_WORKGROUPS, tiles), maxSplits));
  const splitDepth = Math.max(tile.TILE_K, ceilDiv(ceilDiv(groupDepth, wanted), tile.TILE_K) * tile.TILE_K);
  const splits = Math.max(1, ceilDiv(groupDepth, splitDepth));
  const fields: ConvFields = { conv: g, perSample, splits, splitDepth };
  const size = { rows, cols, layers: groups * splits };
  if (splits === 1) {
    gemm(rt, 'conv2dBackwardFilter', size, fields, dw, [dy, x]);
    return;
  }
  const slabs = rt.alloc(groups * splits * rows * cols);
  gemm(rt, 'conv2dBackwardFilter', size, fields, slabs, [dy, x]);
  reduceSum(rt, slabs, dw, { outer: groups, reduce: splits, inner: rows * cols });
  rt.free(slabs);
}

export function matmul(rt: GpuRuntime, a: Handle, b: Handle, y: Handle, g: MatmulGeometry): void {
  gemm(rt, 'matmul', { rows: g.m, cols: g.n, layers: g.batch }, { matmul: g }, y, [a, b], { TRANS_A: g.transA, TRANS_B: g.transB });
}
