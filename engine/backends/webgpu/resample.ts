/** Glue for kernels/wgsl/resample.wgsl: average pooling, nearest upsampling, reflection padding. */
import type { Handle, PadGeometry, PoolGeometry, UpsampleGeometry } from '../../backend.js';
import { padFields, poolFields, upsampleFields, type ResampleFields } from '../resample.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

/** `struct ResampleUniforms`, field by field; fields a kernel does not use stay 0. */
function resampleUniforms(f: ResampleFields): UniformWriter {
  return new UniformWriter()
    .u32(f.planes).u32(f.inH).u32(f.inW).u32(f.outH).u32(f.outW)
    .u32(f.kH ?? 0).u32(f.kW ?? 0).u32(f.strideH ?? 0).u32(f.strideW ?? 0).u32(f.padH ?? 0).u32(f.padW ?? 0)
    .bool(f.countIncludePad ?? false)
    .u32(f.scale ?? 0);
}

function run(rt: GpuRuntime, entry: string, fields: ResampleFields, x: Handle, y: Handle): void {
  const wg = rt.workgroupSize;
  const workgroups: [number] = [Math.min(Math.ceil(y.size / wg), rt.limits.maxComputeWorkgroupsPerDimension)];
  rt.dispatch({ shader: 'resample', entry, constants: { WG: wg }, uniforms: resampleUniforms(fields), output: y, inputs: [x], workgroups });
}

export function avgPool2d(rt: GpuRuntime, x: Handle, y: Handle, g: PoolGeometry): void {
  run(rt, 'avgPool2d', poolFields(g), x, y);
}

export function avgPool2dBackward(rt: GpuRuntime, dy: Handle, dx: Handle, g: PoolGeometry): void {
  run(rt, 'avgPool2dBackward', poolFields(g), dy, dx);
}

export function upsampleNearest(rt: GpuRuntime, x: Handle, y: Handle, g: UpsampleGeometry): void {
  run(rt, 'upsampleNearest', upsampleFields(g), x, y);
}

export function upsampleNearestBackward(rt: GpuRuntime, dy: Handle, dx: Handle, g: UpsampleGeometry): void {
  run(rt, 'upsampleNearestBackward', upsampleFields(g), dy, dx);
}

export function padReflect(rt: GpuRuntime, x: Handle, y: Handle, g: PadGeometry): void {
  run(rt, 'padReflect', padFields(g), x, y);
}

export function padReflectBackward(rt: GpuRuntime, dy: Handle, dx: Handle, g: PadGeometry): void {
  run(rt, 'padReflectBackward', padFields(g), dy, dx);
}
