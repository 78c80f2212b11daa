/** Glue for kernels/wgsl/optim.wgsl: one Adam step in place. */
import type { AdamStep, Handle } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

export function adam(rt: GpuRuntime, param: Handle, grad: Handle, m: Handle, v: Handle, s: AdamStep): void {
  const wg = rt.workgroupSize;
  const uniforms = new UniformWriter()
    .u32(param.size).f32(s.beta1).f32(s.beta2).f32(s.eps).f32(s.weightDecay).f32(s.stepSize).f32(s.sqrtCorrection2);
  rt.dispatch({
    shader: 'optim', entry: 'adam', constants: { WG: wg }, uniforms,
    output: param, inputs: [m, v, grad], overwrites: false, // param is read before it is written
    workgroups: [Math.min(Math.ceil(param.size / wg), rt.limits.maxComputeWorkgroupsPerDimension)],
  });
}
