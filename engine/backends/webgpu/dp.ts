/**
 * Glue for kernels/wgsl/dp.wgsl: per-sample squared norms and DP-SGD's noised
 * clipped sum, which with no samples, unit noise and unit scale is randomNormal.
 */
import type { ClippedSumGeometry, Handle, RandomKey } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

function dpUniforms(batch: number, size: number, accumulate: boolean, g: Partial<ClippedSumGeometry> = {}): UniformWriter {
  return new UniformWriter()
    .u32(batch).u32(size).bool(accumulate).u32(g.key?.seed ?? 0).u32(g.key?.counter ?? 0).f32(g.noiseStd ?? 0).f32(g.scale ?? 0);
}

export function sumSquaresPerSample(rt: GpuRuntime, x: Handle, squares: Handle, size: number, accumulate: boolean): void {
  rt.dispatch({
    shader: 'dp', entry: 'sumSquaresPerSample', constants: { WG: rt.workgroupSize }, uniforms: dpUniforms(squares.size, size, accumulate),
    output: squares, inputs: [x], overwrites: !accumulate, workgroups: [Math.min(squares.size, rt.limits.maxComputeWorkgroupsPerDimension)],
  });
}

export function clippedSumWithNoise(rt: GpuRuntime, x: Handle | null, factors: Handle | null, y: Handle, g: ClippedSumGeometry): void {
  const wg = rt.workgroupSize;
  rt.dispatch({
    shader: 'dp', entry: 'clippedSumWithNoise', constants: { WG: wg }, uniforms: dpUniforms(g.batch, g.size, false, g),
    output: y, inputs: [x, factors], workgroups: [Math.min(Math.ceil(g.size / 4 / wg), rt.limits.maxComputeWorkgroupsPerDimension)],
  });
}

export function randomNormal(rt: GpuRuntime, y: Handle, key: RandomKey): void {
  clippedSumWithNoise(rt, null, null, y, { batch: 0, size: y.size, noiseStd: 1, scale: 1, key });
}
