/**
 * The project's standard convolution shapes, measured by every backend's
 * benchmark (js, wasm, webgpu) so that their figures compare. Each shape
 * sits beside its FLOP count.
 */

export interface ConvShape {
  /** As the issue names it: batch, channels in->out, input size, kernel, stride. */
  readonly name: string;
  readonly n: number;
  readonly cIn: number;
  readonly cOut: number;
  readonly h: number;
  readonly w: number;
  readonly k: number;
  readonly stride: number;
  /** floor((k - 1) / 2): "same" size at stride 1, the halving Conv2d(4, stride 2, padding 1) of the GANs at stride 2. */
  readonly padding: number;
}

function shape(n: number, cIn: number, cOut: number, size: number, k: number, stride = 1): ConvShape {
  const name = `b${n} ${cIn}->${cOut} ${size}x${size} k${k}${stride > 1 ? ` s${stride}` : ''}`;
  return { name, n, cIn, cOut, h: size, w: size, k, stride, padding: Math.floor((k - 1) / 2) };
}

export const convShapes: readonly ConvShape[] = [
  shape(4, 64, 64, 64, 3),
  shape(4, 32, 32, 128, 3),
  shape(1, 64, 64, 256, 3),
  shape(4, 1, 32, 128, 7),
  shape(4, 128, 256, 32, 4, 2),
];

/** Output height and width (PyTorch's formula, dilation 1). */
export function convOutputSize(s: ConvShape): [number, number] {
  const out = (size: number) => Math.floor((size + 2 * s.padding - s.k) / s.stride) + 1;
  return [out(s.h), out(s.w)];
}

/** Forward FLOPs: a multiply and an add per tap, 2 N Cout Hout Wout Cin k^2 (bias not counted). */
export function convFlops(s: ConvShape): number {
  const [outH, outW] = convOutputSize(s);
  return 2 * s.n * s.cOut * outH * outW * s.cIn * s.k * s.k;
}

/** Backward (data and filter gradients) is counted as twice the forward. */
export function convBackwardFlops(s: ConvShape): number {
  return 2 * convFlops(s);
}
