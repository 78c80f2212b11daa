import type { Activation, ConvGeometry, FilterGradOptions, Handle, MatmulGeometry } from '../../backend.js';
import { unaryFns } from './elementwise.js';
import { arr } from './storage.js';

/**
 * The direct definition, one output at a time:
 * y[n, o, i, j] = bias[o] + sum over c, p, q of x[n, c, i*s - pad + p, j*s - pad + q] * w[o, c, p, q].
 * The two backward kernels loop over the same index space and scatter.
 */
function forEachTap(
  g: ConvGeometry,
  visit: (xIndex: number, wIndex: number, yIndex: number, n: number) => void,
): void {
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.cOut; o++)
      for (let i = 0; i < g.outH; i++)
        for (let j = 0; j < g.outW; j++) {
          const yIndex = ((n * g.cOut + o) * g.outH + i) * g.outW + j;
          for (let c = 0; c < g.cIn; c++)
            for (let p = 0; p < g.kH; p++) {
              const r = i * g.strideH - g.padH + p;
              if (r < 0 || r >= g.inH) continue;
              for (let q = 0; q < g.kW; q++) {
                const col = j * g.strideW - g.padW + q;
                if (col < 0 || col >= g.inW) continue;
                visit(((n * g.cIn + c) * g.inH + r) * g.inW + col, ((o * g.cIn + c) * g.kH + p) * g.kW + q, yIndex, n);
              }
            }
        }
}

/**
 * out[k] = activation(acc[k] + bias[channel of k]) for planes of `plane`
 * values and `channels` channels: the epilogue of conv2d and of
 * conv2dBackwardData (convTranspose2d's forward).
 */
function finish(acc: Float64Array, out: Float32Array, plane: number, channels: number, bias: Handle | null, activation: Activation | null | undefined): void {
  const bs = bias ? arr(bias) : null;
  const act = activation ? unaryFns[activation.op] : null;
  for (let k = 0; k < out.length; k++) {
    const v = acc[k]! + (bs ? bs[Math.floor(k / plane) % channels]! : 0);
    out[k] = act ? act(Math.fround(v), activation!.alpha, 0) : v;
  }
}

export function conv2d(x: Handle, w: Handle, bias: Handle | null, y: Handle, g: ConvGeometry, activation?: Activation | null): void {
  const xs = arr(x);
  const ws = arr(w);
  const ys = arr(y);
  const acc = new Float64Array(ys.length);
  forEachTap(g, (xi, wi, yi) => {
    acc[yi] += xs[xi]! * ws[wi]!;
  });
  finish(acc, ys, g.outH * g.outW, g.cOut, bias, activation);
}

export function conv2dBackwardData(dy: Handle, w: Handle, dx: Handle, g: ConvGeometry, bias?: Handle | null, activation?: Activation | null): void {
  const dys = arr(dy);
  const ws = arr(w);
  const dxs = arr(dx);
  const acc = new Float64Array(dxs.length);
  forEachTap(g, (xi, wi, yi) => {
    acc[xi] += dys[yi]! * ws[wi]!;
  });
  finish(acc, dxs, g.inH * g.inW, g.cIn, bias ?? null, activation);
}

export function conv2dBackwardFilter(x: Handle, dy: Handle, dw: Handle, g: ConvGeometry, o: FilterGradOptions): void {
  const xs = arr(x);
  const dys = arr(dy);
  const perSampleSize = g.cOut * g.cIn * g.kH * g.kW;
  const acc = new Float64Array(arr(dw).length);
  forEachTap(g, (xi, wi, yi, n) => {
    acc[(o.perSample ? n * perSampleSize : 0) + wi] += xs[xi]! * dys[yi]!;
  });
  store(acc, arr(dw), o.accumulate);
  if (!o.dBias) return;
  const fromX = o.biasFrom === 'x';
  const [source, channels, plane] = fromX ? [xs, g.cIn, g.inH * g.inW] : [dys, g.cOut, g.outH * g.outW];
  const bias = new Float64Array(arr(o.dBias).length);
  for (let k = 0; k < source.length; k++) {
    const n = Math.floor(k / plane / channels);
    bias[(o.perSample ? n * channels : 0) + (Math.floor(k / plane) % channels)] += source[k]!;
  }
  store(bias, arr(o.dBias), o.accumulate);
}

/** out = sums, or out += sums when accumulating. */
function store(sums: Float64Array, out: Float32Array, accumulate = false): void {
  for (let k = 0; k < out.length; k++) out[k] = sums[k]! + (accumulate ? out[k]! : 0);
}

export function matmul(a: Handle, b: Handle, y: Handle, g: MatmulGeometry): void {
  const as = arr(a);
  const bs = arr(b);
  const ys = arr(y);
  for (let t = 0; t < g.batch; t++) {
    const a0 = t * g.aBatchStride;
    const b0 = t * g.bBatchStride;
    for (let i = 0; i < g.m; i++)
      for (let j = 0; j < g.n; j++) {
        let s = 0;
        for (let k = 0; k < g.k; k++) {
          const av = as[a0 + (g.transA ? k * g.m + i : i * g.k + k)]!;
          const bv = bs[b0 + (g.transB ? j * g.k + k : k * g.n + j)]!;
          s += av * bv;
        }
        ys[(t * g.m + i) * g.n + j] = s;
      }
  }
}
