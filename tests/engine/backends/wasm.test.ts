/**
 * Every Backend kernel on wasm against the js oracle, on odd shapes (1, 3,
 * 7, 13 channels, sizes that are not multiples of 4 or 8) and on sizes big
 * enough to take the multi-threaded paths, to 1e-4 relative.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileKernels, installNodePlatform } from '../../../platform/node.js';
import { WasmBackend } from '../../../engine/backends/wasm/index.js';
import { Rng } from '../../../engine/index.js';
import { createBackend } from '../../../engine/backends/index.js';
import type { Activation, ConvGeometry, CopyGeometry, MatmulGeometry, PoolGeometry, UnaryOp } from '../../../engine/backend.js';
import { unaryOps, binaryOps } from '../../../engine/backend.js';
import { broadcastShapes, broadcastStrides } from '../../../engine/ops/broadcast.js';
import { contiguousStrides } from '../../../engine/strides.js';
import { assertParity, randomValues, runCase, type ParityCase } from './parity.js';

installNodePlatform();
const js = await createBackend('js');
const wasm = await createBackend('wasm', { threads: 2 });
const rng = new Rng(20240611);
const rtol = 1e-4;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const values = (n: number, low = -1, high = 1) => randomValues(rng, n, low, high);

function parity(name: string, make: () => ParityCase): void {
  test(name, () => assertParity(js, wasm, make(), rtol, name));
}

// fill
for (const n of [1, 7, 1037]) {
  parity(`fill n=${n}`, () => ({ inputs: [], outSize: n, call: (b, _, y) => b.fill(y, -2.75) }));
}

// unary: inputs where each op is defined and not at a kink
const unaryInput: Partial<Record<UnaryOp, [number, number]>> = { sqrt: [0.01, 4], log: [0.01, 4], exp: [-5, 5], tanh: [-4, 4], sigmoid: [-8, 8] };
const unaryParams: Partial<Record<UnaryOp, [number, number]>> = { affine: [1.7, -0.3], leakyRelu: [0.2, 0], leakyReluGrad: [0.2, 0], clamp: [-0.3, 0.5] };
for (const op of unaryOps) {
  for (const n of [13, 70001]) {
    parity(`unary ${op} n=${n}`, () => {
      const [low, high] = unaryInput[op] ?? [-2, 2];
      const [alpha, beta] = unaryParams[op] ?? [0, 0];
      return { inputs: [values(n, low, high)], outSize: n, call: (b, [x], y) => b.unary(op, x!, y, alpha, beta) };
    });
  }
}

test('exp, tanh and sigmoid at the ends of float32: inf, 0, +-1 and subnormals as Math computes them', async () => {
  const xs = new Float32Array([-200, -104, -100, -90, -87.5, -20, -1e-3, 0, 1e-6, 1e-3, 0.5, 20, 88.7, 88.8, 200, -Infinity, Infinity]);
  for (const op of ['exp', 'tanh', 'sigmoid'] as const) {
    const expected = await runCase(js, { inputs: [xs], outSize: xs.length, call: (b, [x], y) => b.unary(op, x!, y, 0, 0) });
    const actual = await runCase(wasm, { inputs: [xs], outSize: xs.length, call: (b, [x], y) => b.unary(op, x!, y, 0, 0) });
    expected.forEach((e, i) => {
      const a = actual[i]!;
      const ok = e === a || Math.abs(a - e) <= 2e-6 * Math.abs(e) || Math.abs(a - e) < 1e-42;
      if (!ok) throw new Error(`${op}(${xs[i]}) is ${a}, expected ${e}`);
    });
  }
});

// binary with broadcasting
const binaryShapes: [number[], number[]][] = [
  [[13], [13]],
  [[3, 7, 13], [7, 1]],
  [[2, 3, 7, 13], [3, 1, 13]],
  [[7, 13], [1]],
  [[1, 13], [7, 13]],
  [[3, 1, 5], [1, 7, 1]],
  [[4, 13, 37, 41], [13, 1, 1]],
  [[2, 3, 5, 7, 11, 13], [3, 1, 7, 1, 13]],
];
for (const op of binaryOps) {
  for (const [as, bs] of binaryShapes) {
    parity(`binary ${op} [${as}] [${bs}]`, () => {
      const shape = broadcastShapes(as, bs);
      return {
        inputs: [values(size(as)), op === 'div' ? values(size(bs), 0.5, 2) : values(size(bs))],
        outSize: size(shape),
        call: (b, [x, z], y) => b.binary(op, x!, z!, y, { shape, aStrides: broadcastStrides(as, shape), bStrides: broadcastStrides(bs, shape) }),
      };
    });
  }
}

// reduceSum
for (const [outer, reduce, inner] of [[3, 13, 7], [13, 1037, 1], [1, 7, 1], [2, 3000, 37], [7, 70001, 1], [5, 1, 9]] as const) {
  parity(`reduceSum [${outer}, ${reduce}, ${inner}]`, () => ({
    inputs: [values(outer * reduce * inner)],
    outSize: outer * inner,
    call: (b, [x], y) => b.reduceSum(x!, y, { outer, reduce, inner }),
  }));
}

// copy: slices, broadcasts, transposes, placement into a bigger tensor
const copies: [string, number, number, CopyGeometry][] = [
  ['slice [3,5,7] of [7,9,11]', 7 * 9 * 11, 3 * 5 * 7, { shape: [3, 5, 7], srcStrides: [99, 11, 1], srcOffset: 99 + 2 * 11 + 3, dstStrides: [35, 7, 1], dstOffset: 0 }],
  ['broadcast [1,13] to [7,13]', 13, 91, { shape: [7, 13], srcStrides: [0, 1], srcOffset: 0, dstStrides: [13, 1], dstOffset: 0 }],
  ['transpose [13,7]', 91, 91, { shape: [7, 13], srcStrides: [1, 7], srcOffset: 0, dstStrides: [13, 1], dstOffset: 0 }],
  ['place [3,5] into [7,9] at (2,3)', 15, 63, { shape: [3, 5], srcStrides: [5, 1], srcOffset: 0, dstStrides: [9, 1], dstOffset: 2 * 9 + 3 }],
  ['expand [3,1,1] to [2,3,37,41]', 3, 2 * 3 * 37 * 41, { shape: [2, 3, 37, 41], srcStrides: [0, 1, 0, 0], srcOffset: 0, dstStrides: contiguousStrides([2, 3, 37, 41]), dstOffset: 0 }],
  ['cat half of [4,13,17,19]', 2 * 13 * 17 * 19, 4 * 13 * 17 * 19, { shape: [2, 13, 17, 19], srcStrides: contiguousStrides([2, 13, 17, 19]), srcOffset: 0, dstStrides: contiguousStrides([4, 13, 17, 19]), dstOffset: 2 * 13 * 17 * 19 }],
];
for (const [name, srcSize, dstSize, g] of copies) {
  parity(`copy ${name}`, () => ({ inputs: [values(srcSize)], outSize: dstSize, outInitial: values(dstSize), call: (b, [x], y) => b.copy(x!, y, g) }));
}

// convolutions: every kernel on the same geometries
function conv(n: number, cIn: number, cOut: number, h: number, w: number, k: [number, number], s: [number, number], pad: [number, number]): ConvGeometry {
  const outH = Math.floor((h + 2 * pad[0] - k[0]) / s[0]) + 1;
  const outW = Math.floor((w + 2 * pad[1] - k[1]) / s[1]) + 1;
  return { n, cIn, inH: h, inW: w, cOut, kH: k[0], kW: k[1], strideH: s[0], strideW: s[1], padH: pad[0], padW: pad[1], outH, outW };
}
const convs: ConvGeometry[] = [
  conv(2, 3, 7, 9, 11, [3, 3], [1, 1], [1, 1]),
  conv(1, 1, 1, 5, 5, [3, 3], [1, 1], [0, 0]),
  conv(3, 13, 1, 7, 6, [7, 7], [1, 1], [3, 3]),
  conv(2, 1, 13, 13, 10, [4, 4], [2, 2], [1, 1]),
  conv(2, 7, 3, 11, 13, [3, 5], [2, 1], [1, 2]),
  conv(1, 3, 7, 13, 13, [1, 1], [3, 3], [0, 0]),
  conv(2, 3, 5, 10, 9, [2, 2], [3, 3], [0, 0]), // stride above the kernel: some input cells get no gradient
  conv(1, 5, 6, 6, 7, [3, 3], [1, 1], [4, 3]), // padding above kernel - 1
  conv(2, 13, 7, 37, 41, [3, 3], [1, 1], [1, 1]), // several strips and threads
  conv(1, 7, 13, 23, 21, [4, 4], [2, 2], [1, 1]),
  // outputs whose rows are multiples of 8 wide: the GEMM's columns skip the padding columns
  conv(2, 5, 6, 12, 16, [3, 3], [1, 1], [1, 1]),
  conv(2, 3, 9, 20, 32, [4, 4], [2, 2], [1, 1]),
  conv(1, 3, 4, 8, 8, [3, 3], [1, 1], [1, 1]),
  conv(2, 4, 9, 24, 48, [4, 4], [2, 2], [1, 1]), // convTranspose2d-like backward-data: phases 12 x 24
];
for (const g of convs) {
  const name = `n=${g.n} ${g.cIn}->${g.cOut} ${g.inH}x${g.inW} k${g.kH}x${g.kW} s${g.strideH}x${g.strideW} p${g.padH}x${g.padW}`;
  const xSize = g.n * g.cIn * g.inH * g.inW;
  const wSize = g.cOut * g.cIn * g.kH * g.kW;
  const ySize = g.n * g.cOut * g.outH * g.outW;
  parity(`conv2d ${name}`, () => ({ inputs: [values(xSize), values(wSize), values(g.cOut)], outSize: ySize, call: (b, [x, w, bias], y) => b.conv2d(x!, w!, bias!, y, g) }));
  parity(`conv2d no bias ${name}`, () => ({ inputs: [values(xSize), values(wSize)], outSize: ySize, call: (b, [x, w], y) => b.conv2d(x!, w!, null, y, g) }));
  parity(`conv2dBackwardData ${name}`, () => ({ inputs: [values(ySize), values(wSize)], outSize: xSize, call: (b, [dy, w], dx) => b.conv2dBackwardData(dy!, w!, dx, g) }));
  parity(`conv2dBackwardFilter ${name}`, () => ({ inputs: [values(xSize), values(ySize)], outSize: wSize, call: (b, [x, dy], dw) => b.conv2dBackwardFilter(x!, dy!, dw, g, false) }));
  parity(`conv2dBackwardFilter perSample ${name}`, () => ({
    inputs: [values(xSize), values(ySize)],
    outSize: g.n * wSize,
    call: (b, [x, dy], dw) => b.conv2dBackwardFilter(x!, dy!, dw, g, true),
  }));
}
// Bias and activation in the GEMM's epilogue: each activation in turn over the geometries, and a
// reduction longer than one block (120 * 9 taps, kcMax 1024), where only the last block may apply it.
const activations: Activation[] = [{ op: 'relu', alpha: 0 }, { op: 'leakyRelu', alpha: 0.2 }, { op: 'tanh', alpha: 0 }];
[...convs, conv(2, 120, 5, 9, 10, [3, 3], [1, 1], [1, 1])].forEach((g, i) => {
  const act = activations[i % activations.length]!;
  const name = `n=${g.n} ${g.cIn}->${g.cOut} ${g.inH}x${g.inW} k${g.kH}x${g.kW} s${g.strideH}x${g.strideW} ${act.op}`;
  const xSize = g.n * g.cIn * g.inH * g.inW;
  const wSize = g.cOut * g.cIn * g.kH * g.kW;
  const ySize = g.n * g.cOut * g.outH * g.outW;
  parity(`conv2d bias ${name}`, () => ({ inputs: [values(xSize), values(wSize), values(g.cOut)], outSize: ySize, call: (b, [x, w, bias], y) => b.conv2d(x!, w!, bias!, y, g, act) }));
  parity(`conv2dBackwardData bias ${name}`, () => ({
    inputs: [values(ySize), values(wSize), values(g.cIn)],
    outSize: xSize,
    call: (b, [dy, w, bias], dx) => b.conv2dBackwardData(dy!, w!, dx, g, bias!, act),
  }));
  parity(`conv2dBackwardData no bias ${name}`, () => ({ inputs: [values(ySize), values(wSize)], outSize: xSize, call: (b, [dy, w], dx) => b.conv2dBackwardData(dy!, w!, dx, g, null, act) }));
});

// A long reduction into a small weight: the reduction is split, then summed.
const deep = conv(4, 1, 3, 70, 66, [3, 3], [1, 1], [1, 1]);
parity('conv2dBackwardFilter split reduction n=4 1->3 70x66 k3', () => ({
  inputs: [values(4 * 70 * 66), values(4 * 3 * 70 * 66)],
  outSize: 27,
  call: (b, [x, dy], dw) => b.conv2dBackwardFilter(x!, dy!, dw, deep, false),
}));
// The same with rows a multiple of 4 wide: the split reduction walks the output rows, skipping the padding columns.
const deepRows = conv(4, 1, 3, 64, 64, [3, 3], [1, 1], [1, 1]);
parity('conv2dBackwardFilter split reduction n=4 1->3 64x64 k3', () => ({
  inputs: [values(4 * 64 * 64), values(4 * 3 * 64 * 64)],
  outSize: 27,
  call: (b, [x, dy], dw) => b.conv2dBackwardFilter(x!, dy!, dw, deepRows, false),
}));

// matmul: transposes, batches with shared and own operands, per-sample outer products
const matmuls: MatmulGeometry[] = [
  { batch: 1, m: 5, n: 7, k: 9, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 },
  { batch: 1, m: 13, n: 3, k: 70, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 },
  { batch: 1, m: 1, n: 13, k: 301, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 },
  { batch: 1, m: 7, n: 1, k: 1, transA: true, transB: true, aBatchStride: 0, bBatchStride: 0 },
  { batch: 1, m: 67, n: 131, k: 333, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 },
  { batch: 3, m: 5, n: 6, k: 7, transA: false, transB: false, aBatchStride: 35, bBatchStride: 0 },
  { batch: 3, m: 5, n: 6, k: 7, transA: false, transB: true, aBatchStride: 0, bBatchStride: 42 },
  { batch: 4, m: 13, n: 7, k: 1, transA: false, transB: false, aBatchStride: 13, bBatchStride: 7 },
  { batch: 1, m: 9, n: 21, k: 1500, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }, // two reduction blocks
];
for (const g of matmuls) {
  const aSize = (g.aBatchStride ? g.batch : 1) * g.m * g.k;
  const bSize = (g.bBatchStride ? g.batch : 1) * g.k * g.n;
  parity(`matmul batch=${g.batch} ${g.m}x${g.k}x${g.n} transA=${g.transA} transB=${g.transB} strides ${g.aBatchStride},${g.bBatchStride}`, () => ({
    inputs: [values(aSize), values(bSize)],
    outSize: g.batch * g.m * g.n,
    call: (b, [x, z], y) => b.matmul(x!, z!, y, g),
  }));
}

// pooling, upsampling, reflection padding, forward and backward
const pools: PoolGeometry[] = [
  { planes: 7, inH: 13, inW: 11, outH: 7, outW: 6, kH: 3, kW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, countIncludePad: false },
  { planes: 7, inH: 13, inW: 11, outH: 7, outW: 6, kH: 3, kW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, countIncludePad: true },
  { planes: 3, inH: 9, inW: 10, outH: 4, outW: 5, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, countIncludePad: true },
  { planes: 13, inH: 5, inW: 7, outH: 5, outW: 7, kH: 3, kW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, countIncludePad: false },
];
for (const g of pools) {
  const name = `planes=${g.planes} ${g.inH}x${g.inW} k${g.kH} s${g.strideH} p${g.padH} countIncludePad=${g.countIncludePad}`;
  const xSize = g.planes * g.inH * g.inW;
  const ySize = g.planes * g.outH * g.outW;
  parity(`avgPool2d ${name}`, () => ({ inputs: [values(xSize)], outSize: ySize, call: (b, [x], y) => b.avgPool2d(x!, y, g) }));
  parity(`avgPool2dBackward ${name}`, () => ({ inputs: [values(ySize)], outSize: xSize, call: (b, [dy], dx) => b.avgPool2dBackward(dy!, dx, g) }));
}
for (const [planes, inH, inW, scale] of [[7, 13, 11, 2], [3, 5, 9, 3], [1, 1, 1, 2], [13, 33, 37, 2]] as const) {
  const g = { planes, inH, inW, scale };
  const xSize = planes * inH * inW;
  const ySize = xSize * scale * scale;
  parity(`upsampleNearest ${planes}x${inH}x${inW} x${scale}`, () => ({ inputs: [values(xSize)], outSize: ySize, call: (b, [x], y) => b.upsampleNearest(x!, y, g) }));
  parity(`upsampleNearestBackward ${planes}x${inH}x${inW} x${scale}`, () => ({
    inputs: [values(ySize)],
    outSize: xSize,
    call: (b, [dy], dx) => b.upsampleNearestBackward(dy!, dx, g),
  }));
}
for (const [planes, inH, inW, top, bottom, left, right] of [[3, 7, 9, 1, 2, 3, 1], [13, 5, 5, 3, 3, 3, 3], [1, 4, 1, 1, 1, 0, 0], [7, 37, 41, 3, 3, 3, 3]] as const) {
  const g = { planes, inH, inW, top, bottom, left, right };
  const xSize = planes * inH * inW;
  const ySize = planes * (inH + top + bottom) * (inW + left + right);
  const name = `${planes}x${inH}x${inW} pads ${top},${bottom},${left},${right}`;
  parity(`padReflect ${name}`, () => ({ inputs: [values(xSize)], outSize: ySize, call: (b, [x], y) => b.padReflect(x!, y, g) }));
  parity(`padReflectBackward ${name}`, () => ({ inputs: [values(ySize)], outSize: xSize, call: (b, [dy], dx) => b.padReflectBackward(dy!, dx, g) }));
}

test('the plain SIMD build (no fused multiply-add) matches js too', async () => {
  const plain = await WasmBackend.create({ threads: 2, module: await compileKernels(false) });
  try {
    assert.match(plain.describe(), /WebAssembly SIMD kernels/);
    for (const g of [convs[0]!, convs[3]!, convs[8]!]) {
      const xSize = g.n * g.cIn * g.inH * g.inW;
      const c: ParityCase = {
        inputs: [values(xSize), values(g.cOut * g.cIn * g.kH * g.kW)],
        outSize: g.n * g.cOut * g.outH * g.outW,
        call: (b, [x, w], y) => b.conv2d(x!, w!, null, y, g),
      };
      await assertParity(js, plain, c, rtol, 'plain build conv2d');
    }
  } finally {
    plain.destroy();
  }
});

test('one thread and two threads give the same bits', async () => {
  const one = await createBackend('wasm', { threads: 1 });
  const g = convs[8]!;
  const c: ParityCase = {
    inputs: [values(g.n * g.cIn * g.inH * g.inW), values(g.n * g.cOut * g.outH * g.outW)],
    outSize: g.cOut * g.cIn * g.kH * g.kW,
    call: (b, [x, dy], dw) => b.conv2dBackwardFilter(x!, dy!, dw, g, false),
  };
  const [a, b] = [await runCase(one, c), await runCase(wasm, c)];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`element ${i}: ${a[i]} on 1 thread, ${b[i]} on 2`);
});

test.run();
