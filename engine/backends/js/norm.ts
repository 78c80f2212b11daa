import type { Activation, Handle, NormGeometry } from '../../backend.js';
import { activationSlope, unaryFns } from './elementwise.js';
import { arr } from './storage.js';

export function instanceNorm(x: Handle, weight: Handle | null, bias: Handle | null, y: Handle, stats: Handle, g: NormGeometry): void {
  const xs = arr(x), ys = arr(y), st = arr(stats);
  const ws = weight ? arr(weight) : null, bs = bias ? arr(bias) : null;
  const act = g.activation ? unaryFns[g.activation.op] : null;
  for (let p = 0; p < g.planes; p++) {
    const at = p * g.size, c = p % g.channels;
    let sum = 0;
    for (let i = 0; i < g.size; i++) sum += xs[at + i]!;
    const mean = sum / g.size;
    let squares = 0;
    for (let i = 0; i < g.size; i++) squares += (xs[at + i]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(squares / g.size + g.eps);
    const scale = ws ? ws[c]! : 1, shift = bs ? bs[c]! : 0;
    for (let i = 0; i < g.size; i++) {
      const v = Math.fround((xs[at + i]! - mean) * rstd * scale + shift);
      ys[at + i] = act ? act(v, g.activation!.alpha, 0) : v;
    }
    st[p] = mean;
    st[g.planes + p] = rstd;
  }
}

export function instanceNormBackward(x: Handle, stats: Handle, dy: Handle, weight: Handle | null, dx: Handle, dWeight: Handle, dBias: Handle, g: NormGeometry, y?: Handle | null): void {
  const xs = arr(x), st = arr(stats), dxs = arr(dx), dws = arr(dWeight), dbs = arr(dBias);
  const ws = weight ? arr(weight) : null;
  const dys = g.activation ? throughActivation(arr(dy), arr(y!), g.activation) : arr(dy);
  for (let p = 0; p < g.planes; p++) {
    const at = p * g.size, mean = st[p]!, rstd = st[g.planes + p]!;
    let sumDy = 0, sumDyXhat = 0;
    for (let i = 0; i < g.size; i++) {
      sumDy += dys[at + i]!;
      sumDyXhat += dys[at + i]! * (xs[at + i]! - mean) * rstd;
    }
    dws[p] = sumDyXhat;
    dbs[p] = sumDy;
    // dx = w rstd (dy - mean(dy) - xhat mean(dy xhat))
    const scale = (ws ? ws[p % g.channels]! : 1) * rstd;
    for (let i = 0; i < g.size; i++) {
      const xhat = (xs[at + i]! - mean) * rstd;
      dxs[at + i] = scale * (dys[at + i]! - sumDy / g.size - (xhat * sumDyXhat) / g.size);
    }
  }
}

/** dy taken back through the activation the forward pass applied, its derivative read off y. */
function throughActivation(dy: Float32Array, y: Float32Array, a: Activation): Float32Array {
  return dy.map((d, i) => d * activationSlope(a, y[i]!));
}
