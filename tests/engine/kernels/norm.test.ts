/**
 * instanceNorm and instanceNormBackward on every backend against js, with
 * and without affine parameters: planes smaller than a SIMD width multiple
 * and than a workgroup, planes larger than a workgroup with enough values
 * for wasm's threads, and large planes far off zero.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import type { NormGeometry } from '../../../engine/backend.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240615);
const cases: KernelCase[] = [];

/** Each plane's mean, then each plane's 1 / sqrt(biased variance + eps): the stats instanceNorm writes. */
function stats(x: Float32Array, g: NormGeometry): Float32Array {
  const out = new Float32Array(2 * g.planes);
  for (let p = 0; p < g.planes; p++) {
    const plane = x.subarray(p * g.size, (p + 1) * g.size);
    const mean = plane.reduce((s, v) => s + v, 0) / g.size;
    out[p] = mean;
    out[g.planes + p] = 1 / Math.sqrt(plane.reduce((s, v) => s + (v - mean) ** 2, 0) / g.size + g.eps);
  }
  return out;
}

/** instanceNorm and its backward on planes x, with weight and bias when params has them. */
function forwardAndBackward(name: string, g: NormGeometry, x: Float32Array, params: Float32Array[], rtol?: number): void {
  cases.push({
    name: `instanceNorm ${name}`,
    inputs: [x, ...params],
    outputs: [x.length, 2 * g.planes],
    call: (b, [hx, weight, bias], [y, s]) => b.instanceNorm(hx!, weight ?? null, bias ?? null, y!, s!, g),
    rtol,
  });
  cases.push({
    name: `instanceNormBackward ${name}`,
    inputs: [x, stats(x, g), values(rng, x.length), ...params.slice(0, 1)],
    outputs: [x.length, g.planes, g.planes],
    call: (b, [hx, s, dy, weight], [dx, dWeight, dBias]) => b.instanceNormBackward(hx!, s!, dy!, weight ?? null, dx!, dWeight!, dBias!, g),
    rtol,
  });
}

for (const [n, c, h, w] of [[2, 3, 5, 7], [2, 3, 70, 90]] as const) {
  const g: NormGeometry = { planes: n * c, channels: c, size: h * w, eps: 1e-5 };
  for (const affine of [true, false]) {
    // Planes off centre and off unit scale, so that the statistics matter.
    const x = values(rng, n * c * h * w, -2, 3);
    const params = affine ? [values(rng, c, 0.5, 1.5), values(rng, c)] : [];
    forwardAndBackward(`[${n}, ${c}, ${h}, ${w}]${affine ? ' affine' : ''}`, g, x, params);
  }
}

// 256 x 256 planes far off zero and nearly flat (a bright, even region): the
// mean must be summed with less error than the spread, or it swamps the
// variance (a mean summed in f32 lanes alone was off by 1 here). The stats
// keep the mean in f32, within an ulp of the true one: near 100 that is
// 7.6e-6, times rstd 233 in the output, so that plane gets 3e-3.
for (const [low, high, rtol] of [[100, 100.01, 3e-3], [3, 3.05, undefined]] as const) {
  const g: NormGeometry = { planes: 2, channels: 1, size: 256 * 256, eps: 1e-5 };
  forwardAndBackward(`[2, 1, 256, 256] in [${low}, ${high}]`, g, values(rng, 2 * g.size, low, high), [], rtol);
}

// The fused activation keeps NaN and saturates at +-inf: channel biases NaN, inf and -inf.
for (const activation of [{ op: 'relu', alpha: 0 }, { op: 'leakyRelu', alpha: 0.2 }, { op: 'tanh', alpha: 0 }] as const) {
  const g: NormGeometry = { planes: 6, channels: 3, size: 35, eps: 1e-5, activation };
  cases.push({
    name: `instanceNorm [2, 3, 5, 7] ${activation.op}, biases NaN and +-inf`,
    inputs: [values(rng, 6 * 35, -2, 3), values(rng, 3, 0.5, 1.5), new Float32Array([NaN, Infinity, -Infinity])],
    outputs: [6 * 35, 12],
    call: (b, [hx, weight, bias], [y, s]) => b.instanceNorm(hx!, weight!, bias!, y!, s!, g),
  });
}

kernelTable(cases);
test.run();
