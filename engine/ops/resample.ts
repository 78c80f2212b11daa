/** Resampling of NCHW maps: nearest upsampling and average pooling. */
import type { PoolGeometry, UpsampleGeometry } from '../backend.js';
import { state } from '../state.js';
import { output, type Tensor } from '../tensor.js';
import { record } from '../tape.js';
import { checkWindow, pair, type Pair } from './conv.js';
import { mean } from './reduce.js';

function planes(x: Tensor, op: string): [number, number, number, number] {
  if (x.rank !== 4) throw new Error(`${op}: needs an NCHW tensor, got ${x}`);
  return x.shape as [number, number, number, number];
}

/** torch.nn.functional.interpolate(x, scale_factor=scale, mode='nearest') for a whole-number scale. */
export function upsampleNearest(x: Tensor, scale = 2): Tensor {
  const [n, c, h, w] = planes(x, 'upsampleNearest');
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`upsampleNearest: scale must be a whole number >= 1, got ${scale}`);
  const g: UpsampleGeometry = { planes: n * c, inH: h, inW: w, scale };
  const y = output([n, c, h * scale, w * scale]);
  state.backend.upsampleNearest(x.handle, y.handle, g);
  return record('upsampleNearest', y, [x], (dy) => {
    const dx = output(x.shape);
    state.backend.upsampleNearestBackward(dy.handle, dx.handle, g);
    return [dx];
  });
}

export interface AvgPool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  padding?: Pair;
  /** Whether zero padding counts in each window's divisor (PyTorch's default: true). */
  countIncludePad?: boolean;
}

/** torch.nn.functional.avg_pool2d (ceil_mode off). */
export function avgPool2d(x: Tensor, kernel: Pair, options: AvgPool2dOptions = {}): Tensor {
  const [n, c, h, w] = planes(x, 'avgPool2d');
  const [kH, kW] = pair(kernel);
  const [strideH, strideW] = pair(options.stride ?? [kH, kW]);
  const [padH, padW] = pair(options.padding ?? 0);
  checkWindow('avgPool2d', { kernel: [kH, kW], stride: [strideH, strideW], padding: [padH, padW] });
  if (2 * padH > kH || 2 * padW > kW) throw new Error('avgPool2d: padding must be at most half the kernel');
  const outH = Math.floor((h + 2 * padH - kH) / strideH) + 1;
  const outW = Math.floor((w + 2 * padW - kW) / strideW) + 1;
  if (outH < 1 || outW < 1) throw new Error(`avgPool2d: a ${kH}x${kW} window does not fit ${x}`);
  const g: PoolGeometry = {
    planes: n * c, inH: h, inW: w, outH, outW, kH, kW, strideH, strideW, padH, padW,
    countIncludePad: options.countIncludePad ?? true,
  };
  const y = output([n, c, outH, outW]);
  state.backend.avgPool2d(x.handle, y.handle, g);
  return record('avgPool2d', y, [x], (dy) => {
    const dx = output(x.shape);
    state.backend.avgPool2dBackward(dy.handle, dx.handle, g);
    return [dx];
  });
}

/** torch.nn.functional.adaptive_avg_pool2d(x, 1): the mean of each plane, [N, C, 1, 1]. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: 1 = 1): Tensor {
  planes(x, 'adaptiveAvgPool2d');
  if (outputSize !== 1) throw new Error('adaptiveAvgPool2d: only output size 1 is supported');
  return mean(x, [2, 3], true);
}
