/**
 * Glue for kernels/wgsl/optim.wgsl: one Adam step over a list of parameters,
 * one dispatch per parameter in the open compute pass (a shader cannot bind a
 * list of buffers).
 */
import type { AdamEntry, AdamStep } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

export function adam(rt: GpuRuntime, entries: readonly AdamEntry[], s: AdamStep): void {
  const wg = rt.workgroupSize;
  for (const { param, grad, m, v, stepSize, sqrtCorrection2 } of entries) {
    const uniforms = new UniformWriter()
      .u32(param.size).f32(s.beta1).f32(s.beta2).f32(s.eps).f32(s.weightDecay).f32(stepSize).f32(sqrtCorrection2);
    rt.dispatch({
      shader: 'optim', entry: 'adam', constants: { WG: wg }, uniforms,
      output: param, inputs: [m, v, grad], overwrites: false, // param is read before it is written
      workgroups: [Math.min(Math.ceil(param.size / wg), rt.limits.maxComputeWorkgroupsPerDimension)],
    });
  }
}
