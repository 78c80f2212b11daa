/**
 * The one parameter set of the resampling kernels (the wasm kernels'
 * ResampleParams, the WGSL shader's ResampleUniforms), filled from each
 * geometry alike for both backends. Fields a kernel does not use are left
 * out; each backend writes its own defaults for them.
 */
import type { PadGeometry, PoolGeometry, UpsampleGeometry } from '../backend.js';

export interface ResampleFields {
  planes: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH?: number;
  kW?: number;
  strideH?: number;
  strideW?: number;
  /** Pooling: zero padding. Reflection padding: rows added on top, columns on the left. */
  padH?: number;
  padW?: number;
  countIncludePad?: boolean;
  scale?: number;
}

export function poolFields(g: PoolGeometry): ResampleFields {
  return g;
}

export function upsampleFields(g: UpsampleGeometry): ResampleFields {
  return { planes: g.planes, inH: g.inH, inW: g.inW, outH: g.inH * g.scale, outW: g.inW * g.scale, scale: g.scale };
}

export function padFields(g: PadGeometry): ResampleFields {
  return { planes: g.planes, inH: g.inH, inW: g.inW, outH: g.inH + g.top + g.bottom, outW: g.inW + g.left + g.right, padH: g.top, padW: g.left };
}
