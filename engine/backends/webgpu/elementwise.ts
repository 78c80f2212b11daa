/** Glue for kernels/wgsl/elementwise.wgsl: fill, unary, activationBackward, binary, copy. */
import { binaryOps, unaryOps, type Activation, type BinaryOp, type BroadcastGeometry, type CopyGeometry, type Handle, type UnaryOp } from '../../backend.js';
import { mergeAxes, sizeOf } from '../../strides.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

const MAX_RANK = 8; // two vec4s in ElementwiseUniforms; Backend promises at most 6

/**
 * Mirrors `struct ElementwiseUniforms`: shape, the two operands' strides,
 * size, rank, the two offsets, alpha, beta.
 */
function elementwiseUniforms(
  size: number,
  shape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
  scalars: { aOffset?: number; bOffset?: number; alpha?: number; beta?: number } = {},
): UniformWriter {
  if (shape.length > MAX_RANK) throw new RangeError(`webgpu: rank ${shape.length} is more than ${MAX_RANK}`);
  return new UniformWriter()
    .vec4Array(shape, 2)
    .vec4Array(aStrides, 2)
    .vec4Array(bStrides, 2)
    .u32(size)
    .u32(shape.length)
    .u32(scalars.aOffset ?? 0)
    .u32(scalars.bOffset ?? 0)
    .f32(scalars.alpha ?? 0)
    .f32(scalars.beta ?? 0);
}

/** Workgroup size and grid for one invocation per element, grid-stride past the dispatch limit. */
function grid(rt: GpuRuntime, size: number): { constants: { WG: number }; workgroups: [number] } {
  const wg = rt.workgroupSize;
  return { constants: { WG: wg }, workgroups: [Math.min(Math.ceil(size / wg), rt.limits.maxComputeWorkgroupsPerDimension)] };
}

export function fill(rt: GpuRuntime, y: Handle, value: number): void {
  const { constants, workgroups } = grid(rt, y.size);
  rt.dispatch({ shader: 'elementwise', entry: 'fill', constants, uniforms: elementwiseUniforms(y.size, [], [], [], { alpha: value }), output: y, inputs: [], workgroups });
}

export function unary(rt: GpuRuntime, op: UnaryOp, x: Handle, y: Handle, alpha: number, beta: number): void {
  if (x.size < y.size) throw new RangeError(`webgpu unary ${op}: input of ${x.size} values for ${y.size} outputs`);
  const { constants, workgroups } = grid(rt, y.size);
  rt.dispatch({
    shader: 'elementwise', entry: 'unary', constants: { ...constants, OP: unaryOps.indexOf(op) },
    uniforms: elementwiseUniforms(y.size, [], [], [], { alpha, beta }), output: y, inputs: [x], workgroups,
  });
}

export function activationBackward(rt: GpuRuntime, dy: Handle, y: Handle, dx: Handle, a: Activation): void {
  const { constants, workgroups } = grid(rt, dx.size);
  rt.dispatch({
    shader: 'elementwise', entry: 'activationBackward', constants: { ...constants, OP: unaryOps.indexOf(a.op) },
    uniforms: elementwiseUniforms(dx.size, [], [], [], { alpha: a.alpha }), output: dx, inputs: [dy, y], workgroups,
  });
}

export function binary(rt: GpuRuntime, op: BinaryOp, a: Handle, b: Handle, y: Handle, g: BroadcastGeometry): void {
  const merged = mergeAxes(g.shape, [g.aStrides, g.bStrides]);
  const { constants, workgroups } = grid(rt, y.size);
  rt.dispatch({
    shader: 'elementwise', entry: 'binary', constants: { ...constants, OP: binaryOps.indexOf(op) },
    uniforms: elementwiseUniforms(y.size, merged.shape, merged.strides[0]!, merged.strides[1]!), output: y, inputs: [a, b], workgroups,
  });
}

export function copy(rt: GpuRuntime, src: Handle, dst: Handle, g: CopyGeometry): void {
  const size = sizeOf(g.shape);
  const merged = mergeAxes(g.shape, [g.srcStrides, g.dstStrides]);
  const { constants, workgroups } = grid(rt, size);
  const covers = size === dst.size && g.dstOffset === 0; // a strided copy may still leave gaps
  rt.dispatch({
    shader: 'elementwise', entry: 'copy', constants,
    uniforms: elementwiseUniforms(size, merged.shape, merged.strides[0]!, merged.strides[1]!, { aOffset: g.srcOffset, bOffset: g.dstOffset }),
    output: dst, inputs: [src], overwrites: covers && isContiguous(merged.shape, merged.strides[1]!), workgroups,
  });
}

/** Whether strides walk shape row-major without gaps (the destination of a full copy). */
function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (strides[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}
