/**
 * Glue for kernels/wgsl/dp.wgsl: per-sample squared norms and DP-SGD's noised
 * clipped sum, which with no samples, unit noise and unit scale is randomNormal.
 */
import type { ClippedSumGeometry, Handle, RandomKey } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

interface Stream {
  batch: number;
  size: number;
  noiseStd: number;
  scale: number;
  key: Required<RandomKey>;
}

function dpUniforms(batch: number, size: number, accumulate: boolean, g: Partial<Stream> = {}): UniformWriter {
  return new UniformWriter()
    .u32(batch).u32(size).bool(accumulate).u32(g.key?.seed ?? 0).u32(g.key?.seedHigh ?? 0).u32(g.key?.counter ?? 0).f32(g.noiseStd ?? 0).f32(g.scale ?? 0);
}

/** One dispatch per tensor in the open pass, the first overwriting squares, the others adding to it. */
export function sumSquaresPerSample(rt: GpuRuntime, xs: readonly Handle[], squares: Handle): void {
  xs.forEach((x, k) => {
    rt.dispatch({
      shader: 'dp', entry: 'sumSquaresPerSample', constants: { WG: rt.workgroupSize }, uniforms: dpUniforms(squares.size, x.size / squares.size, k > 0),
      output: squares, inputs: [x], overwrites: k === 0, workgroups: [Math.min(squares.size, rt.limits.maxComputeWorkgroupsPerDimension)],
    });
  });
}

/** One dispatch per tensor in the open pass, tensor k's noise from the stream g.key with counter + k. */
export function clippedSumWithNoise(rt: GpuRuntime, xs: readonly Handle[], factors: Handle, ys: readonly Handle[], g: ClippedSumGeometry): void {
  xs.forEach((x, k) => clippedSum(rt, x, factors, ys[k]!, { ...g, size: ys[k]!.size, key: { ...g.key, counter: g.key.counter + k } }));
}

function clippedSum(rt: GpuRuntime, x: Handle | null, factors: Handle | null, y: Handle, g: Stream): void {
  const wg = rt.workgroupSize;
  rt.dispatch({
    shader: 'dp', entry: 'clippedSumWithNoise', constants: { WG: wg }, uniforms: dpUniforms(g.batch, g.size, false, g),
    output: y, inputs: [x, factors], workgroups: [Math.min(Math.ceil(g.size / 4 / wg), rt.limits.maxComputeWorkgroupsPerDimension)],
  });
}

export function randomNormal(rt: GpuRuntime, y: Handle, key: Required<RandomKey>): void {
  clippedSum(rt, null, null, y, { batch: 0, size: y.size, noiseStd: 1, scale: 1, key });
}
