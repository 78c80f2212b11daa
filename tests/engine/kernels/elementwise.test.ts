/**
 * fill, unary, binary (broadcasting) and copy (strided views) on every
 * backend against js: odd sizes, empty and one-element handles, sizes past
 * wasm's threading threshold, inputs where each op is defined.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import { binaryOps, unaryOps, type Activation, type CopyGeometry, type UnaryOp } from '../../../engine/backend.js';
import { broadcastShapes, broadcastStrides } from '../../../engine/ops/broadcast.js';
import { contiguousStrides, sizeOf } from '../../../engine/strides.js';
import { everyBackend, js, testOn } from '../../helpers/backends.js';
import { kernelTable, runCase, values, type KernelCase } from './table.js';

const rng = new Rng(20240611);
const cases: KernelCase[] = [];

// Zero too: wasm fills zeros (every alloc's) by memory.fill, other values four lanes at a time.
for (const n of [0, 1, 7, 300, 1037]) {
  for (const value of [-2.75, 0]) cases.push({ name: `fill n=${n} with ${value}`, inputs: [], outputs: [n], call: (b, _, [y]) => b.fill(y!, value) });
}

// Unary ops on inputs where each is defined and away from its kinks; also far out, where exp, tanh
// and sigmoid saturate, and on one value and on none.
const narrow: Partial<Record<UnaryOp, [number, number]>> = { sqrt: [0.01, 4], log: [0.01, 4], exp: [-5, 5], tanh: [-4, 4], sigmoid: [-8, 8] };
const wide: Partial<Record<UnaryOp, [number, number]>> = { sqrt: [0.01, 9], log: [0.01, 9], exp: [-20, 20], tanh: [-40, 40], sigmoid: [-120, 120] };
const params: Partial<Record<UnaryOp, [number, number]>> = { affine: [1.7, -0.3], leakyRelu: [0.2, 0], leakyReluGrad: [0.2, 0], clamp: [-0.3, 0.5] };
for (const op of unaryOps) {
  const [alpha, beta] = params[op] ?? [0, 0];
  for (const [n, [low, high]] of [[13, narrow[op] ?? [-2, 2]], [70001, narrow[op] ?? [-2, 2]], [91, wide[op] ?? [-3, 3]]] as const) {
    cases.push({ name: `unary ${op} n=${n} in [${low}, ${high}]`, inputs: [values(rng, n, low, high)], outputs: [n], call: (b, [x], [y]) => b.unary(op, x!, y!, alpha, beta) });
  }
}
// NaN and +-inf, in vector lanes and in the scalar remainder: activations keep NaN (and read it
// in their derivatives) as PyTorch does, so a diverged model shows NaN on every backend.
const special = Float32Array.from({ length: 23 }, (_, i) => [NaN, Infinity, -Infinity, 0.5, -0.5, 0, 2][i % 7]!);
for (const op of ['relu', 'step', 'leakyRelu', 'leakyReluGrad', 'tanh', 'sigmoid', 'clamp', 'abs', 'sign', 'affine'] as const) {
  const [alpha, beta] = params[op] ?? [0, 0];
  cases.push({ name: `unary ${op} at NaN and +-inf`, inputs: [special], outputs: [special.length], call: (b, [x], [y]) => b.unary(op, x!, y!, alpha, beta) });
}
for (const x of [[0.5], []]) {
  cases.push({ name: `unary exp n=${x.length}`, inputs: [new Float32Array(x)], outputs: [x.length], call: (b, [h], [y]) => b.unary('exp', h!, y!, 0, 0) });
}

const binaryShapes: [number[], number[]][] = [
  [[13], [13]],
  [[91], [91]],
  [[1], [1]],
  [[3, 7, 13], [7, 1]],
  [[2, 3, 7, 13], [3, 1, 13]],
  [[7, 13], [1]],
  [[1, 13], [7, 13]],
  [[3, 1, 5], [1, 7, 1]],
  [[3, 1, 7, 5], [1, 13, 1, 5]],
  [[1, 7, 1, 1], [3, 7, 5, 3]],
  [[4, 13, 37, 41], [13, 1, 1]],
  [[2, 1, 3, 1, 5, 2], [1, 3, 3, 2, 1, 2]],
  [[2, 3, 5, 7, 11, 13], [3, 1, 7, 1, 13]],
];
for (const op of binaryOps) {
  for (const [as, bs] of binaryShapes) {
    const shape = broadcastShapes(as, bs);
    const g = { shape, aStrides: broadcastStrides(as, shape), bStrides: broadcastStrides(bs, shape) };
    cases.push({
      name: `binary ${op} [${as}] [${bs}]`,
      inputs: [values(rng, sizeOf(as)), op === 'div' ? values(rng, sizeOf(bs), 0.5, 2) : values(rng, sizeOf(bs))],
      outputs: [sizeOf(shape)],
      call: (b, [x, z], [y]) => b.binary(op, x!, z!, y!, g),
    });
  }
}

// Slices, strided blocks, broadcasts, transposes, placement into a bigger tensor (whose other values stay).
const copies: [string, number, number, CopyGeometry][] = [
  ['slice [3,5,7] of [7,9,11]', 7 * 9 * 11, 3 * 5 * 7, { shape: [3, 5, 7], srcStrides: [99, 11, 1], srcOffset: 99 + 2 * 11 + 3, dstStrides: [35, 7, 1], dstOffset: 0 }],
  ['strided block [2,5,4] of [3,7,9]', 3 * 7 * 9, 40, { shape: [2, 5, 4], srcStrides: [63, 9, 2], srcOffset: 63 + 9 + 1, dstStrides: [20, 4, 1], dstOffset: 0 }],
  ['broadcast [1,13] to [7,13]', 13, 91, { shape: [7, 13], srcStrides: [0, 1], srcOffset: 0, dstStrides: [13, 1], dstOffset: 0 }],
  ['broadcast [7,9] to [3,7,9]', 63, 189, { shape: [3, 7, 9], srcStrides: [0, 9, 1], srcOffset: 0, dstStrides: [63, 9, 1], dstOffset: 0 }],
  ['transpose [13,7]', 91, 91, { shape: [7, 13], srcStrides: [1, 7], srcOffset: 0, dstStrides: [13, 1], dstOffset: 0 }],
  ['place [3,5] into [7,9] at (2,3)', 15, 63, { shape: [3, 5], srcStrides: [5, 1], srcOffset: 0, dstStrides: [9, 1], dstOffset: 2 * 9 + 3 }],
  ['place [3,7,9] into [4,9,11] at (1,1,1)', 189, 4 * 9 * 11, { shape: [3, 7, 9], srcStrides: [63, 9, 1], srcOffset: 0, dstStrides: [99, 11, 1], dstOffset: 99 + 11 + 1 }],
  ['expand [3,1,1] to [2,3,37,41]', 3, 2 * 3 * 37 * 41, { shape: [2, 3, 37, 41], srcStrides: [0, 1, 0, 0], srcOffset: 0, dstStrides: contiguousStrides([2, 3, 37, 41]), dstOffset: 0 }],
  ['cat half of [4,13,17,19]', 2 * 13 * 17 * 19, 4 * 13 * 17 * 19, { shape: [2, 13, 17, 19], srcStrides: contiguousStrides([2, 13, 17, 19]), srcOffset: 0, dstStrides: contiguousStrides([4, 13, 17, 19]), dstOffset: 2 * 13 * 17 * 19 }],
];
for (const [name, srcSize, dstSize, g] of copies) {
  cases.push({ name: `copy ${name}`, inputs: [values(rng, srcSize)], outputs: [values(rng, dstSize)], call: (b, [x], [y]) => b.copy([{ src: x!, dst: y!, g }]) });
}

// An activation's backward: dy times the derivative read off the output y (y in the activation's
// range, zeros among them for relu's and leakyRelu's mask), odd and past wasm's threading threshold.
const activations: [Activation, number, number][] = [[{ op: 'relu', alpha: 0 }, 0, 1], [{ op: 'leakyRelu', alpha: 0.2 }, -0.2, 1], [{ op: 'tanh', alpha: 0 }, -1, 1]];
for (const [a, low, high] of activations) {
  for (const n of [37, 70001]) {
    const y = values(rng, n, low, high).map((v, i) => (i % 7 === 0 ? 0 : a.op === 'relu' ? Math.max(v, 0) : v));
    cases.push({
      name: `activationBackward ${a.op} n=${n}`,
      inputs: [values(rng, n), y],
      outputs: [n],
      call: (b, [dy, yy], [dx]) => b.activationBackward(dy!, yy!, dx!, a),
    });
  }
  cases.push({ name: `activationBackward ${a.op} at NaN and +-inf`, inputs: [values(rng, special.length), special], outputs: [special.length], call: (b, [dy, yy], [dx]) => b.activationBackward(dy!, yy!, dx!, a) });
}

// Several copies in one call: three parts concatenated along axis 1, and the gradient's way back,
// a tensor's blocks along axis 1 into tensors of their own (one of them empty).
const widths = [3, 1, 4];
const starts = [0, 3, 4];
cases.push({
  name: `copy list: cat of [2,${widths.join('|')},5] along axis 1`,
  inputs: widths.map((w) => values(rng, 2 * w * 5)),
  outputs: [2 * 8 * 5],
  call: (b, parts, [y]) =>
    b.copy(parts.map((src, k) => ({ src, dst: y!, g: { shape: [2, widths[k]!, 5], srcStrides: contiguousStrides([2, widths[k]!, 5]), srcOffset: 0, dstStrides: [40, 5, 1], dstOffset: 5 * starts[k]! } }))),
});
cases.push({
  name: `copy list: blocks [2,${[...widths, 0].join('|')},5] of [2,8,5] along axis 1`,
  inputs: [values(rng, 2 * 8 * 5)],
  outputs: [...widths, 0].map((w) => 2 * w * 5),
  call: (b, [x], parts) =>
    b.copy(parts.map((dst, k) => ({ src: x!, dst, g: { shape: [2, widths[k] ?? 0, 5], srcStrides: [40, 5, 1], srcOffset: 5 * (starts[k] ?? 8), dstStrides: contiguousStrides([2, widths[k] ?? 0, 5]), dstOffset: 0 } }))),
});

kernelTable(cases);

// wasm's own exp (kernels/wasm/mathf.ts) matches Math's at the ends of float32 too: a GPU may flush
// subnormals to zero and keeps no relative precision near 0, so this is wasm's alone.
testOn(everyBackend.find((b) => b.label === 'wasm')!, 'exp, tanh and sigmoid at the ends of float32: inf, 0, +-1 and subnormals as Math computes them', async (wasm) => {
  const xs = new Float32Array([-200, -104, -100, -90, -87.5, -20, -1e-3, 0, 1e-6, 1e-3, 0.5, 20, 88.7, 88.8, 200, -Infinity, Infinity]);
  for (const op of ['exp', 'tanh', 'sigmoid'] as const) {
    const c: KernelCase = { name: op, inputs: [xs], outputs: [xs.length], call: (b, [x], [y]) => b.unary(op, x!, y!, 0, 0) };
    const [[expected], [actual]] = [await runCase(js, c), await runCase(wasm, c)];
    expected!.forEach((e, i) => {
      const a = actual![i]!;
      const ok = e === a || Math.abs(a - e) <= 2e-6 * Math.abs(e) || Math.abs(a - e) < 1e-42;
      if (!ok) throw new Error(`${op}(${xs[i]}) is ${a}, expected ${e}`);
    });
  }
});

test.run();
