import type { Handle, PadGeometry, PoolGeometry, UpsampleGeometry } from '../../backend.js';
import { arr } from './storage.js';

/** Visits every (input cell, output cell) pair of an average pool, with the window's divisor. */
function forEachPoolTap(g: PoolGeometry, visit: (xIndex: number, yIndex: number, divisor: number) => void): void {
  for (let p = 0; p < g.planes; p++)
    for (let i = 0; i < g.outH; i++)
      for (let j = 0; j < g.outW; j++) {
        const r0 = i * g.strideH - g.padH;
        const c0 = j * g.strideW - g.padW;
        const rows = Math.min(r0 + g.kH, g.inH) - Math.max(r0, 0);
        const cols = Math.min(c0 + g.kW, g.inW) - Math.max(c0, 0);
        const padRows = Math.min(r0 + g.kH, g.inH + g.padH) - r0;
        const padCols = Math.min(c0 + g.kW, g.inW + g.padW) - c0;
        const divisor = g.countIncludePad ? padRows * padCols : rows * cols;
        const yIndex = (p * g.outH + i) * g.outW + j;
        for (let r = Math.max(r0, 0); r < Math.min(r0 + g.kH, g.inH); r++)
          for (let c = Math.max(c0, 0); c < Math.min(c0 + g.kW, g.inW); c++)
            visit((p * g.inH + r) * g.inW + c, yIndex, divisor);
      }
}

export function avgPool2d(x: Handle, y: Handle, g: PoolGeometry): void {
  const xs = arr(x);
  const ys = arr(y);
  ys.fill(0);
  forEachPoolTap(g, (xi, yi, d) => {
    ys[yi] += xs[xi]! / d;
  });
}

export function avgPool2dBackward(dy: Handle, dx: Handle, g: PoolGeometry): void {
  const dys = arr(dy);
  const dxs = arr(dx);
  dxs.fill(0);
  forEachPoolTap(g, (xi, yi, d) => {
    dxs[xi] += dys[yi]! / d;
  });
}

function forEachUpsampleTap(g: UpsampleGeometry, visit: (xIndex: number, yIndex: number) => void): void {
  const outH = g.inH * g.scale;
  const outW = g.inW * g.scale;
  for (let p = 0; p < g.planes; p++)
    for (let i = 0; i < outH; i++)
      for (let j = 0; j < outW; j++)
        visit((p * g.inH + Math.floor(i / g.scale)) * g.inW + Math.floor(j / g.scale), (p * outH + i) * outW + j);
}

export function upsampleNearest(x: Handle, y: Handle, g: UpsampleGeometry): void {
  const xs = arr(x);
  const ys = arr(y);
  forEachUpsampleTap(g, (xi, yi) => {
    ys[yi] = xs[xi]!;
  });
}

export function upsampleNearestBackward(dy: Handle, dx: Handle, g: UpsampleGeometry): void {
  const dys = arr(dy);
  const dxs = arr(dx);
  dxs.fill(0);
  forEachUpsampleTap(g, (xi, yi) => {
    dxs[xi] += dys[yi]!;
  });
}

/** PyTorch's reflection: -1 maps to 1, n maps to n - 2. */
function reflect(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

function forEachPadTap(g: PadGeometry, visit: (xIndex: number, yIndex: number) => void): void {
  const outH = g.inH + g.top + g.bottom;
  const outW = g.inW + g.left + g.right;
  for (let p = 0; p < g.planes; p++)
    for (let i = 0; i < outH; i++)
      for (let j = 0; j < outW; j++)
        visit(
          (p * g.inH + reflect(i - g.top, g.inH)) * g.inW + reflect(j - g.left, g.inW),
          (p * outH + i) * outW + j,
        );
}

export function padReflect(x: Handle, y: Handle, g: PadGeometry): void {
  const xs = arr(x);
  const ys = arr(y);
  forEachPadTap(g, (xi, yi) => {
    ys[yi] = xs[xi]!;
  });
}

export function padReflectBackward(dy: Handle, dx: Handle, g: PadGeometry): void {
  const dys = arr(dy);
  const dxs = arr(dx);
  dxs.fill(0);
  forEachPadTap(g, (xi, yi) => {
    dxs[xi] += dys[yi]!;
  });
}
