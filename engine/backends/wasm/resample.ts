/** Pooling, upsampling and reflection padding glue: one work item per plane. */
import type { PadGeometry, PoolGeometry, UpsampleGeometry } from '../../backend.js';
import { padFields, poolFields, upsampleFields, type ResampleFields } from '../resample.js';
import type { WasmContext } from './context.js';
import { resampleLayout, writeParams } from './params.js';

type ResampleKernel = 'avgPool2d' | 'avgPool2dBackward' | 'upsampleNearest' | 'upsampleNearestBackward' | 'padReflect' | 'padReflectBackward';

/** `x` is the input side (x or dx), `y` the output side (y or dy). */
function run(ctx: WasmContext, kernel: ResampleKernel, x: number, y: number, f: ResampleFields): void {
  const at = writeParams(ctx.heap, ctx.params, resampleLayout, {
    x,
    y,
    planes: f.planes,
    inH: f.inH,
    inW: f.inW,
    outH: f.outH,
    outW: f.outW,
    kH: f.kH ?? 1,
    kW: f.kW ?? 1,
    strideH: f.strideH ?? 1,
    strideW: f.strideW ?? 1,
    padH: f.padH ?? 0,
    padW: f.padW ?? 0,
    countIncludePad: f.countIncludePad ? 1 : 0,
    scale: f.scale ?? 1,
  });
  const work = f.planes * Math.max(f.inH * f.inW, f.outH * f.outW);
  ctx.pool.run(kernel, at, f.planes, Math.max(1, Math.floor(8192 / (f.outH * f.outW || 1))), work >= 1 << 16);
}

export const avgPool2d = (ctx: WasmContext, x: number, y: number, g: PoolGeometry) => run(ctx, 'avgPool2d', x, y, poolFields(g));
export const avgPool2dBackward = (ctx: WasmContext, dy: number, dx: number, g: PoolGeometry) => run(ctx, 'avgPool2dBackward', dx, dy, poolFields(g));
export const upsampleNearest = (ctx: WasmContext, x: number, y: number, g: UpsampleGeometry) => run(ctx, 'upsampleNearest', x, y, upsampleFields(g));
export const upsampleNearestBackward = (ctx: WasmContext, dy: number, dx: number, g: UpsampleGeometry) =>
  run(ctx, 'upsampleNearestBackward', dx, dy, upsampleFields(g));
export const padReflect = (ctx: WasmContext, x: number, y: number, g: PadGeometry) => run(ctx, 'padReflect', x, y, padFields(g));
export const padReflectBackward = (ctx: WasmContext, dy: number, dx: number, g: PadGeometry) => run(ctx, 'padReflectBackward', dx, dy, padFields(g));
