import type { ConvGeometry, Handle, MatmulGeometry } from '../../backend.js';
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

export function conv2d(x: Handle, w: Handle, bias: Handle | null, y: Handle, g: ConvGeometry): void {
  const xs = arr(x);
  const ws = arr(w);
  const ys = arr(y);
  const acc = new Float64Array(ys.length);
  forEachTap(g, (xi, wi, yi) => {
    acc[yi] += xs[xi]! * ws[wi]!;
  });
  const plane = g.outH * g.outW;
  const bs = bias ? arr(bias) : null;
  for (let k = 0; k < ys.length; k++) ys[k] = acc[k]! + (bs ? bs[Math.floor(k / plane) % g.cOut]! : 0);
}

export function conv2dBackwardData(dy: Handle, w: Handle, dx: Handle, g: ConvGeometry): void {
  const dys = arr(dy);
  const ws = arr(w);
  const acc = new Float64Array(arr(dx).length);
  forEachTap(g, (xi, wi, yi) => {
    acc[xi] += dys[yi]! * ws[wi]!;
  });
  arr(dx).set(acc);
}

export function conv2dBackwardFilter(x: Handle, dy: Handle, dw: Handle, g: ConvGeometry, perSample: boolean): void {
  const xs = arr(x);
  const dys = arr(dy);
  const acc = new Float64Array(arr(dw).length);
  const perSampleSize = g.cOut * g.cIn * g.kH * g.kW;
  forEachTap(g, (xi, wi, yi, n) => {
    acc[(perSample ? n * perSampleSize : 0) + wi] += xs[xi]! * dys[yi]!;
  });
  arr(dw).set(acc);
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
