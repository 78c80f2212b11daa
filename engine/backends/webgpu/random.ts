/** Glue for kernels/wgsl/random.wgsl: Gaussian noise, one invocation per block of four draws. */
import type { Handle, RandomKey } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

export function randomNormal(rt: GpuRuntime, y: Handle, key: RandomKey): void {
  const wg = rt.workgroupSize;
  const blocks = Math.ceil(y.size / 4);
  rt.dispatch({
    shader: 'random', entry: 'randomNormal', constants: { WG: wg },
    uniforms: new UniformWriter().u32(y.size).u32(key.seed).u32(key.counter), output: y, inputs: [],
    workgroups: [Math.min(Math.ceil(blocks / wg), rt.limits.maxComputeWorkgroupsPerDimension)],
  });
}
