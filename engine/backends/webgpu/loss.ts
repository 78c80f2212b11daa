/** Glue for kernels/wgsl/loss.wgsl: a point-wise loss's mean (one workgroup) and its gradient. */
import { lossOps, type Handle, type LossOp } from '../../backend.js';
import type { GpuRuntime } from './runtime.js';
import { UniformWriter } from './uniforms.js';

function lossUniforms(op: LossOp, n: number, b: Handle | null, target: number): UniformWriter {
  return new UniformWriter().u32(lossOps.indexOf(op)).u32(n).bool(b !== null).f32(target);
}

export function pointLoss(rt: GpuRuntime, op: LossOp, a: Handle, b: Handle | null, target: number, y: Handle): void {
  rt.dispatch({
    shader: 'loss', entry: 'pointLoss', constants: { WG: rt.workgroupSize }, uniforms: lossUniforms(op, a.size, b, target),
    output: y, inputs: [a, b], workgroups: [1],
  });
}

export function pointLossBackward(rt: GpuRuntime, op: LossOp, a: Handle, b: Handle | null, target: number, dy: Handle, da: Handle): void {
  const wg = rt.workgroupSize;
  rt.dispatch({
    shader: 'loss', entry: 'pointLossBackward', constants: { WG: wg }, uniforms: lossUniforms(op, a.size, b, target),
    output: da, inputs: [a, b, dy], workgroups: [Math.min(Math.ceil(a.size / wg), rt.limits.maxComputeWorkgroupsPerDimension)],
  });
}
