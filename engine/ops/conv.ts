/**
 * Convolutions. Three kernels serve both ops: convTranspose2d's forward is
 * conv2d's backward-data with the weight read as [cIn, cOut, k, k], and the
 * roles swap again in its backward.
 */
import type { ConvGeometry } from '../backend.js';
import { state } from '../state.js';
import { output, type Tensor } from '../tensor.js';
import { gradToAddInto, record, wantsPerSample } from '../tape.js';
import { activationGrad, activationOf, type ActivationOptions } from './elementwise.js';
import { sum } from './reduce.js';
import { pad, type PadMode } from './shape.js';

export type Pair = number | readonly [number, number];
export type { ActivationOptions };

/** A size given once for both axes, or as [height, width]. */
export function pair(p: Pair): [number, number] {
  return typeof p === 'number' ? [p, p] : [p[0], p[1]];
}

export interface Conv2dOptions extends ActivationOptions {
  stride?: Pair;
  padding?: Pair;
  /** How the border is padded: zeros (default) or a reflection of the input. */
  padMode?: PadMode;
}

/** A sliding window's sizes, each [height, width]. */
export interface WindowSizes {
  kernel: readonly number[];
  stride: readonly number[];
  padding: readonly number[];
  outputPadding?: readonly number[];
}

/**
 * The one check of a sliding window (conv2d, convTranspose2d, avgPool2d), naming the op: whole
 * numbers, kernel sides and strides >= 1, paddings >= 0. A fractional stride would give NaN on js
 * and truncated indices on wasm; PyTorch refuses all of these.
 */
export function checkWindow(op: string, sizes: WindowSizes): void {
  const least = { kernel: 1, stride: 1, padding: 0, outputPadding: 0 } as const;
  for (const [name, min] of Object.entries(least) as [keyof WindowSizes, number][]) {
    const values = sizes[name];
    if (values && !values.every((v) => Number.isInteger(v) && v >= min)) throw new Error(`${op}: ${name} must be whole numbers >= ${min}, got [${values}]`);
  }
}

function convGeometry(x: Tensor, w: Tensor, stride: Pair, padding: Pair, op: string): ConvGeometry {
  if (x.rank !== 4 || w.rank !== 4) throw new Error(`${op}: needs NCHW input and OIHW weight, got ${x} and ${w}`);
  const [n, cIn, inH, inW] = x.shape as [number, number, number, number];
  const [cOut, wIn, kH, kW] = w.shape as [number, number, number, number];
  if (wIn !== cIn) throw new Error(`${op}: input has ${cIn} channels, weight ${w} expects ${wIn}`);
  const [strideH, strideW] = pair(stride);
  const [padH, padW] = pair(padding);
  checkWindow(op, { kernel: [kH, kW], stride: [strideH, strideW], padding: [padH, padW] });
  const outH = Math.floor((inH + 2 * padH - kH) / strideH) + 1;
  const outW = Math.floor((inW + 2 * padW - kW) / strideW) + 1;
  if (outH < 1 || outW < 1) throw new Error(`${op}: a ${kH}x${kW} kernel does not fit ${inH}x${inW} input padded by ${padH},${padW}`);
  return { n, cIn, inH, inW, cOut, kH, kW, strideH, strideW, padH, padW, outH, outW };
}

function checkBias(bias: Tensor | undefined, channels: number, op: string): void {
  if (bias && (bias.rank !== 1 || bias.shape[0] !== channels)) throw new Error(`${op}: bias ${bias} should be [${channels}]`);
}

/**
 * The weight's and the bias's gradients in one backend call (per sample for
 * DP leaves), each null where not wanted; the bias's is the sum of dy, or of
 * x for convTranspose2d (biasFrom 'x'). When the leaves already hold
 * gradients of their own, the kernel adds into them in place
 * (gradToAddInto) and they are returned as they are.
 */
function filterGrads(x: Tensor, dy: Tensor, w: Tensor, bias: Tensor | undefined, g: ConvGeometry, biasFrom: 'dy' | 'x'): [Tensor | null, Tensor | null] {
  const perSample = wantsPerSample(w);
  const wantBias = bias?.requiresGrad ?? false;
  if (!w.requiresGrad || (wantBias && wantsPerSample(bias!) !== perSample)) {
    return [w.requiresGrad ? filterGrads(x, dy, w, undefined, g, biasFrom)[0] : null, wantBias ? biasGrad(biasFrom === 'x' ? x : dy, bias!) : null];
  }
  const wShape = perSample ? [g.n, ...w.shape] : w.shape;
  const channels = biasFrom === 'x' ? g.cIn : g.cOut;
  const bShape = perSample ? [g.n, channels] : [channels];
  const intoW = gradToAddInto(w, wShape);
  const intoB = wantBias ? gradToAddInto(bias!, bShape) : null;
  const accumulate = intoW !== null && (!wantBias || intoB !== null);
  const dw = accumulate ? intoW : output(wShape);
  const db = wantBias ? (accumulate ? intoB : output(bShape)) : null;
  state.backend.conv2dBackwardFilter(x.handle, dy.handle, dw.handle, g, { perSample, dBias: db?.handle ?? null, biasFrom, accumulate });
  if (accumulate) for (const grad of [dw, db]) grad?.storage.written();
  return [dw, db];
}

/** The bias gradient: dy summed over height and width, and over the batch unless per sample. */
function biasGrad(dy: Tensor, bias: Tensor): Tensor {
  return sum(dy, wantsPerSample(bias) ? [2, 3] : [0, 2, 3]);
}

/**
 * torch.nn.functional.conv2d (one group), with reflection padding and a
 * following activation as options: { activation: 'leakyRelu', slope: 0.2 }
 * gives F.leaky_relu(F.conv2d(...), 0.2) in one pass over the output.
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  const [padH, padW] = pair(options.padding ?? 0);
  const activation = activationOf(options, 'conv2d');
  const g = convGeometry(x, w, options.stride ?? 1, [padH, padW], 'conv2d');
  if (options.padMode === 'reflect' && (padH > 0 || padW > 0)) {
    return conv2d(pad(x, [padW, padW, padH, padH], 'reflect'), w, bias, { stride: options.stride ?? 1, activation: options.activation, slope: options.slope });
  }
  checkBias(bias, g.cOut, 'conv2d');
  const y = output([g.n, g.cOut, g.outH, g.outW]);
  state.backend.conv2d(x.handle, w.handle, bias?.handle ?? null, y.handle, g, activation);
  const inputs = bias ? [x, w, bias] : [x, w];
  return record('conv2d', y, inputs, (dyOut) => {
    const dy = activation ? activationGrad(dyOut, y, activation) : dyOut;
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = output(x.shape);
      state.backend.conv2dBackwardData(dy.handle, w.handle, dx.handle, g);
    }
    return [dx, ...filterGrads(x, dy, w, bias, g, 'dy')];
  });
}

export interface ConvTranspose2dOptions extends ActivationOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
}

/** torch.nn.functional.conv_transpose2d (one group), w [cIn, cOut, kH, kW]; an activation as conv2d's. */
export function convTranspose2d(x: Tensor, w: Tensor, bias?: Tensor, options: ConvTranspose2dOptions = {}): Tensor {
  if (x.rank !== 4 || w.rank !== 4) throw new Error(`convTranspose2d: needs NCHW input and [cIn, cOut, kH, kW] weight, got ${x} and ${w}`);
  const [n, cIn, h, wd] = x.shape as [number, number, number, number];
  const [wIn, cOut, kH, kW] = w.shape as [number, number, number, number];
  if (wIn !== cIn) throw new Error(`convTranspose2d: input has ${cIn} channels, weight ${w} expects ${wIn}`);
  const [strideH, strideW] = pair(options.stride ?? 1);
  const [padH, padW] = pair(options.padding ?? 0);
  const [opH, opW] = pair(options.outputPadding ?? 0);
  checkWindow('convTranspose2d', { kernel: [kH, kW], stride: [strideH, strideW], padding: [padH, padW], outputPadding: [opH, opW] });
  if (opH >= strideH || opW >= strideW) throw new Error('convTranspose2d: outputPadding must be smaller than stride');
  const outH = (h - 1) * strideH - 2 * padH + kH + opH;
  const outW = (wd - 1) * strideW - 2 * padW + kW + opW;
  if (outH < 1 || outW < 1) throw new Error(`convTranspose2d: padding ${padH},${padW} leaves no output of ${x} with a ${kH}x${kW} kernel (${outH}x${outW})`);
  // The convolution whose backward-data this is: input [n, cOut, outH, outW] -> output [n, cIn, h, w].
  const g: ConvGeometry = { n, cIn: cOut, inH: outH, inW: outW, cOut: cIn, kH, kW, strideH, strideW, padH, padW, outH: h, outW: wd };
  checkBias(bias, cOut, 'convTranspose2d');
  const activation = activationOf(options, 'convTranspose2d');
  const y = output([n, cOut, outH, outW]);
  state.backend.conv2dBackwardData(x.handle, w.handle, y.handle, g, bias?.handle ?? null, activation);
  const inputs = bias ? [x, w, bias] : [x, w];
  return record('convTranspose2d', y, inputs, (dyOut) => {
    const dy = activation ? activationGrad(dyOut, y, activation) : dyOut;
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = output(x.shape);
      state.backend.conv2d(dy.handle, w.handle, null, dx.handle, g);
    }
    return [dx, ...filterGrads(dy, x, w, bias, g, 'x')];
  });
}
