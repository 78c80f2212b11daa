/** Glue for kernels/wgsl/reduce.wgsl: sums over the middle axis of [outer, reduce, inner]. */
import type { Handle, ReduceGeometry } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

/**
 * Whether one workgroup per output pays: long sums (its tree also bounds
 * float32 rounding), or sums too few to fill the GPU one invocation each.
 */
function perWorkgroup(g: ReduceGeometry): boolean {
  const outputs = g.outer * g.inner;
  return g.reduce >= 256 || (g.reduce >= 32 && outputs < 4096);
}

export function reduceSum(rt: GpuRuntime, x: Handle, y: Handle, g: ReduceGeometry): void {
  const outputs = g.outer * g.inner;
  if (y.size !== outputs || x.size !== outputs * g.reduce) {
    throw new RangeError(`webgpu reduceSum: [${g.outer}, ${g.reduce}, ${g.inner}] does not fit ${x.size} -> ${y.size} values`);
  }
  const uniforms = new UniformWriter().u32(g.outer).u32(g.reduce).u32(g.inner); // ReduceUniforms
  const constants = { WG: rt.workgroupSize };
  const maxGrid = rt.limits.maxComputeWorkgroupsPerDimension;
  if (perWorkgroup(g)) {
    const columns = Math.min(outputs, maxGrid);
    const workgroups: [number, number] = [columns, Math.ceil(outputs / Math.max(columns, 1))];
    rt.dispatch({ shader: 'reduce', entry: 'reduceSumPerWorkgroup', constants, uniforms, output: y, inputs: [x], workgroups });
  } else {
    const workgroups: [number] = [Math.min(Math.ceil(outputs / constants.WG), maxGrid)];
    rt.dispatch({ shader: 'reduce', entry: 'reduceSumPerInvocation', constants, uniforms, output: y, inputs: [x], workgroups });
  }
}
