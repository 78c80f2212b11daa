/** Glue for kernels/wgsl/norm.wgsl: instance norm forward and backward, one workgroup per plane. */
import { unaryOps, type Handle, type NormGeometry } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

function launch(rt: GpuRuntime, entry: 'instanceNorm' | 'instanceNormBackward', output: Handle, inputs: (Handle | null)[], g: NormGeometry, hasWeight: boolean, hasBias: boolean): void {
  const uniforms = new UniformWriter().u32(g.planes).u32(g.channels).u32(g.size).bool(hasWeight).bool(hasBias).f32(g.eps)
    .u32(g.activation ? unaryOps.indexOf(g.activation.op) + 1 : 0).f32(g.activation?.alpha ?? 0);
  rt.dispatch({
    shader: 'norm', entry, constants: { WG: rt.workgroupSize }, uniforms, output, inputs,
    workgroups: [Math.min(g.planes, rt.limits.maxComputeWorkgroupsPerDimension)],
  });
}

export function instanceNorm(rt: GpuRuntime, x: Handle, weight: Handle | null, bias: Handle | null, y: Handle, stats: Handle, g: NormGeometry): void {
  launch(rt, 'instanceNorm', y, [stats, null, x, weight, bias, null, null], g, weight !== null, bias !== null);
}

/** With g.activation, y (the forward's output) gives the activation's derivative. */
export function instanceNormBackward(rt: GpuRuntime, x: Handle, stats: Handle, dy: Handle, weight: Handle | null, dx: Handle, dWeight: Handle, dBias: Handle, g: NormGeometry, y: Handle | null): void {
  if (g.activation && !y) throw new Error('webgpu instanceNormBackward: an activation needs the forward output y');
  launch(rt, 'instanceNormBackward', dx, [dWeight, dBias, x, weight, stats, dy, y], g, weight !== null, false);
}
