/**
 * Every Backend kernel on webgpu against the js oracle: random inputs, odd
 * shapes (1, 3, 7, 13 channels; sizes that are not multiples of 4 or of a
 * tile), 1e-4 relative. Shapes stay small: CI runs them on lavapipe.
 */
import {
  binaryOps,
  unaryOps,
  type Activation,
  type Backend,
  type ConvGeometry,
  type MatmulGeometry,
  type PadGeometry,
  type PoolGeometry,
  type UnaryOp,
} from '../../../engine/backend.js';
import { JsBackend } from '../../../engine/backends/js/index.js';
import { Rng } from '../../../engine/index.js';
import { assertClose, gpuSuite, randomValues, runKernel, webgpuForTests } from './webgpu-setup.js';
import { broadcastStrides } from '../../../engine/ops/broadcast.js';

const gpu = await webgpuForTests();
const { test, run } = gpuSuite('webgpu kernels', gpu);
const js = new JsBackend();
const RTOL = 1e-4;

type Kernel = Parameters<typeof runKernel>[3];

/** Runs the same kernel on js and webgpu and compares. */
async function parity(gpuBackend: Backend, what: string, inputs: Float32Array[], outputSize: number, kernel: Kernel, rtol = RTOL): Promise<void> {
  const expected = await runKernel(js, inputs, outputSize, kernel);
  const actual = await runKernel(gpuBackend, inputs, outputSize, kernel);
  assertClose(actual, expected, rtol, what);
}

const rng = new Rng(2024);

test('fill sizes 0, 1, 7, 300', async (b) => {
  for (const size of [0, 1, 7, 300]) await parity(b, `fill ${size}`, [], size, (k, _, y) => k.fill(y, -2.5));
});

const unaryDomain: Partial<Record<UnaryOp, [number, number]>> = { sqrt: [0.01, 9], log: [0.01, 9], tanh: [-40, 40], sigmoid: [-120, 120], exp: [-20, 20] };
const unaryParams: Partial<Record<UnaryOp, [number, number]>> = { affine: [1.5, -0.25], leakyRelu: [0.2, 0], leakyReluGrad: [0.2, 0], clamp: [-0.5, 0.7] };

for (const op of unaryOps) {
  test(`unary ${op} on 91 values`, async (b) => {
    const x = randomValues(rng, 91, unaryDomain[op]);
    const [alpha, beta] = unaryParams[op] ?? [0, 0];
    await parity(b, `unary ${op}`, [x], 91, (k, [h], y) => k.unary(op, h!, y, alpha, beta));
  });
}

test('unary on 1 value and on none', async (b) => {
  await parity(b, 'exp [1]', [new Float32Array([0.5])], 1, (k, [h], y) => k.unary('exp', h!, y, 0, 0));
  await parity(b, 'exp []', [new Float32Array(0)], 0, (k, [h], y) => k.unary('exp', h!, y, 0, 0));
});

const broadcasts: [number[], number[], number[]][] = [
  [[91], [91], [91]],
  [[3, 1, 7, 5], [1, 13, 1, 5], [3, 13, 7, 5]],
  [[2, 1, 3, 1, 5, 2], [1, 3, 3, 2, 1, 2], [2, 3, 3, 2, 5, 2]],
  [[1, 7, 1, 1], [3, 7, 5, 3], [3, 7, 5, 3]],
  [[1], [1], [1]],
];

for (const op of binaryOps) {
  for (const [aShape, bShape, shape] of broadcasts) {
    test(`binary ${op} [${aShape}] with [${bShape}]`, async (b) => {
      const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
      const a = randomValues(rng, size(aShape));
      const bv = randomValues(rng, size(bShape), op === 'div' ? [0.5, 2] : undefined);
      const g = { shape, aStrides: broadcastStrides(aShape, shape), bStrides: broadcastStrides(bShape, shape) };
      await parity(b, `${op}`, [a, bv], size(shape), (k, [ha, hb], y) => k.binary(op, ha!, hb!, y, g));
    });
  }
}

const reductions = [
  { outer: 3, reduce: 7, inner: 13 },
  { outer: 13, reduce: 1000, inner: 1 },
  { outer: 1, reduce: 5001, inner: 3 },
  { outer: 5000, reduce: 3, inner: 1 },
  { outer: 1, reduce: 1, inner: 1 },
  { outer: 2, reduce: 0, inner: 3 },
];

for (const g of reductions) {
  test(`reduceSum [${g.outer}, ${g.reduce}, ${g.inner}]`, async (b) => {
    const x = randomValues(rng, g.outer * g.reduce * g.inner);
    await parity(b, 'reduceSum', [x], g.outer * g.inner, (k, [h], y) => k.reduceSum(h!, y, g));
  });
}

test('copy: a strided block out of [3, 7, 9], and into the middle of [4, 9, 11]', async (b) => {
  const x = randomValues(rng, 3 * 7 * 9);
  const out = { shape: [2, 5, 4], srcStrides: [63, 9, 2], srcOffset: 63 + 9 + 1, dstStrides: [20, 4, 1], dstOffset: 0 };
  await parity(b, 'slice', [x], 40, (k, [h], y) => k.copy(h!, y, out));
  const into = { shape: [3, 7, 9], srcStrides: [63, 9, 1], srcOffset: 0, dstStrides: [99, 11, 1], dstOffset: 99 + 11 + 1 };
  await parity(b, 'place', [x], 4 * 9 * 11, (k, [h], y) => k.copy(h!, y, into));
  const broadcast = { shape: [3, 7, 9], srcStrides: [0, 9, 1], srcOffset: 0, dstStrides: [63, 9, 1], dstOffset: 0 };
  await parity(b, 'expand', [x.subarray(0, 63)], 189, (k, [h], y) => k.copy(h!, y, broadcast));
});

function conv(n: number, cIn: number, inH: number, inW: number, cOut: number, k: number, stride: number, pad: number): ConvGeometry {
  const outH = Math.floor((inH + 2 * pad - k) / stride) + 1;
  const outW = Math.floor((inW + 2 * pad - k) / stride) + 1;
  return { n, cIn, inH, inW, cOut, kH: k, kW: k, strideH: stride, strideW: stride, padH: pad, padW: pad, outH, outW };
}

const convs: ConvGeometry[] = [
  conv(2, 3, 7, 9, 7, 3, 1, 1),
  conv(1, 13, 11, 5, 1, 7, 1, 3),
  conv(3, 1, 9, 9, 13, 4, 2, 1),
  conv(1, 7, 13, 11, 3, 3, 3, 0),
  conv(2, 3, 5, 7, 65, 1, 1, 0),
  conv(2, 3, 23, 23, 5, 3, 1, 1), // long enough depth to split the weight gradient
  conv(1, 3, 6, 6, 2, 2, 3, 0), // stride above kernel: some inputs reach no output
  { ...conv(1, 3, 9, 7, 4, 3, 1, 1), kW: 5, padW: 2, strideH: 2, outH: 5 }, // unequal kernel and strides
];

function convName(g: ConvGeometry): string {
  return `x=[${g.n},${g.cIn},${g.inH},${g.inW}] w=[${g.cOut},${g.cIn},${g.kH},${g.kW}] s${g.strideH},${g.strideW} p${g.padH},${g.padW}`;
}

for (const g of convs) {
  const xSize = g.n * g.cIn * g.inH * g.inW;
  const wSize = g.cOut * g.cIn * g.kH * g.kW;
  const ySize = g.n * g.cOut * g.outH * g.outW;
  test(`conv2d ${convName(g)} with bias`, async (b) => {
    const inputs = [randomValues(rng, xSize), randomValues(rng, wSize), randomValues(rng, g.cOut)];
    await parity(b, 'conv2d', inputs, ySize, (k, [x, w, bias], y) => k.conv2d(x!, w!, bias!, y, g));
    await parity(b, 'conv2d no bias', inputs, ySize, (k, [x, w], y) => k.conv2d(x!, w!, null, y, g));
  });
  test(`conv2dBackwardData ${convName(g)}`, async (b) => {
    const inputs = [randomValues(rng, ySize), randomValues(rng, wSize)];
    await parity(b, 'conv2dBackwardData', inputs, xSize, (k, [dy, w], dx) => k.conv2dBackwardData(dy!, w!, dx, g));
  });
  test(`conv2dBackwardFilter ${convName(g)}, summed and per sample`, async (b) => {
    const inputs = [randomValues(rng, xSize), randomValues(rng, ySize)];
    await parity(b, 'conv2dBackwardFilter', inputs, wSize, (k, [x, dy], dw) => k.conv2dBackwardFilter(x!, dy!, dw, g, false));
    await parity(b, 'per sample', inputs, g.n * wSize, (k, [x, dy], dw) => k.conv2dBackwardFilter(x!, dy!, dw, g, true));
  });
}

// Bias and activation in the convolutions' epilogue (conv2d, and conv2dBackwardData as convTranspose2d's forward).
const activations: Activation[] = [{ op: 'relu', alpha: 0 }, { op: 'leakyRelu', alpha: 0.2 }, { op: 'tanh', alpha: 0 }];
convs.forEach((g, i) => {
  const act = activations[i % activations.length]!;
  const xSize = g.n * g.cIn * g.inH * g.inW;
  const wSize = g.cOut * g.cIn * g.kH * g.kW;
  const ySize = g.n * g.cOut * g.outH * g.outW;
  test(`conv2d and conv2dBackwardData ${convName(g)} with bias and ${act.op}`, async (b) => {
    const forward = [randomValues(rng, xSize), randomValues(rng, wSize), randomValues(rng, g.cOut)];
    await parity(b, 'conv2d', forward, ySize, (k, [x, w, bias], y) => k.conv2d(x!, w!, bias!, y, g, act));
    const transposed = [randomValues(rng, ySize), randomValues(rng, wSize), randomValues(rng, g.cIn)];
    await parity(b, 'conv2dBackwardData', transposed, xSize, (k, [dy, w, bias], dx) => k.conv2dBackwardData(dy!, w!, dx, g, bias!, act));
    await parity(b, 'conv2dBackwardData no bias', transposed, xSize, (k, [dy, w], dx) => k.conv2dBackwardData(dy!, w!, dx, g, null, act));
  });
});

function mm(batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean, shareB = false): MatmulGeometry {
  return { batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: shareB ? 0 : k * n };
}

const matmuls: MatmulGeometry[] = [
  mm(1, 7, 13, 5, false, false),
  mm(1, 7, 13, 5, true, false),
  mm(1, 7, 13, 5, false, true),
  mm(1, 7, 13, 5, true, true),
  mm(3, 70, 67, 33, false, true),
  mm(2, 5, 3, 9, true, false, true),
  mm(5, 3, 7, 1, false, false), // per-sample outer products
  mm(1, 1, 1, 1, false, false),
];

for (const g of matmuls) {
  test(`matmul batch ${g.batch} ${g.m}x${g.k} by ${g.k}x${g.n}${g.transA ? ' transA' : ''}${g.transB ? ' transB' : ''}${g.bBatchStride === 0 ? ' shared b' : ''}`, async (b) => {
    const a = randomValues(rng, g.batch * g.m * g.k);
    const bv = randomValues(rng, g.bBatchStride === 0 ? g.k * g.n : g.batch * g.k * g.n);
    await parity(b, 'matmul', [a, bv], g.batch * g.m * g.n, (k, [ha, hb], y) => k.matmul(ha!, hb!, y, g));
  });
}

function pool(planes: number, inH: number, inW: number, k: number, stride: number, pad: number, countIncludePad: boolean): PoolGeometry {
  const outH = Math.floor((inH + 2 * pad - k) / stride) + 1;
  const outW = Math.floor((inW + 2 * pad - k) / stride) + 1;
  return { planes, inH, inW, outH, outW, kH: k, kW: k, strideH: stride, strideW: stride, padH: pad, padW: pad, countIncludePad };
}

for (const g of [pool(3, 7, 9, 2, 2, 0, true), pool(7, 5, 5, 3, 1, 1, true), pool(7, 5, 5, 3, 1, 1, false), pool(1, 11, 7, 3, 2, 1, false)]) {
  test(`avgPool2d planes ${g.planes} ${g.inH}x${g.inW} k${g.kH} s${g.strideH} p${g.padH}${g.countIncludePad ? '' : ' excluding pad'}`, async (b) => {
    const x = randomValues(rng, g.planes * g.inH * g.inW);
    const dy = randomValues(rng, g.planes * g.outH * g.outW);
    await parity(b, 'avgPool2d', [x], dy.length, (k, [h], y) => k.avgPool2d(h!, y, g));
    await parity(b, 'avgPool2dBackward', [dy], x.length, (k, [h], dx) => k.avgPool2dBackward(h!, dx, g));
  });
}

for (const scale of [1, 2, 3]) {
  test(`upsampleNearest x${scale} of [3, 5, 7]`, async (b) => {
    const g = { planes: 3, inH: 5, inW: 7, scale };
    const x = randomValues(rng, 105);
    const dy = randomValues(rng, 105 * scale * scale);
    await parity(b, 'upsampleNearest', [x], dy.length, (k, [h], y) => k.upsampleNearest(h!, y, g));
    await parity(b, 'upsampleNearestBackward', [dy], x.length, (k, [h], dx) => k.upsampleNearestBackward(h!, dx, g));
  });
}

const pads: PadGeometry[] = [
  { planes: 3, inH: 5, inW: 7, top: 1, bottom: 1, left: 1, right: 1 },
  { planes: 13, inH: 5, inW: 7, top: 4, bottom: 2, left: 1, right: 6 },
  { planes: 1, inH: 2, inW: 3, top: 1, bottom: 0, left: 2, right: 2 },
];

for (const g of pads) {
  test(`padReflect [${g.planes}, ${g.inH}, ${g.inW}] by top ${g.top} bottom ${g.bottom} left ${g.left} right ${g.right}`, async (b) => {
    const outSize = g.planes * (g.inH + g.top + g.bottom) * (g.inW + g.left + g.right);
    const x = randomValues(rng, g.planes * g.inH * g.inW);
    const dy = randomValues(rng, outSize);
    await parity(b, 'padReflect', [x], outSize, (k, [h], y) => k.padReflect(h!, y, g));
    await parity(b, 'padReflectBackward', [dy], x.length, (k, [h], dx) => k.padReflectBackward(h!, dx, g));
  });
}

run();
