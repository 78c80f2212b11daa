/**
 * The GEMM family on every backend against js: conv2d, its two gradients
 * (per sample too), the bias and activation epilogue, and matmul. Odd
 * shapes (1, 3, 7, 13 channels; sizes that are not multiples of 4, 8 or a
 * tile), strides above the kernel, padding above kernel - 1, unequal kernel
 * sides and strides, and sizes that take several strips, threads and
 * reduction blocks.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import type { Activation, ConvGeometry, MatmulGeometry } from '../../../engine/backend.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240613);
const cases: KernelCase[] = [];

function conv(n: number, cIn: number, cOut: number, h: number, w: number, k: [number, number], s: [number, number], pad: [number, number]): ConvGeometry {
  const outH = Math.floor((h + 2 * pad[0] - k[0]) / s[0]) + 1;
  const outW = Math.floor((w + 2 * pad[1] - k[1]) / s[1]) + 1;
  return { n, cIn, inH: h, inW: w, cOut, kH: k[0], kW: k[1], strideH: s[0], strideW: s[1], padH: pad[0], padW: pad[1], outH, outW };
}
const sizes = (g: ConvGeometry) => ({ x: g.n * g.cIn * g.inH * g.inW, w: g.cOut * g.cIn * g.kH * g.kW, y: g.n * g.cOut * g.outH * g.outW });
const convName = (g: ConvGeometry) => `n=${g.n} ${g.cIn}->${g.cOut} ${g.inH}x${g.inW} k${g.kH}x${g.kW} s${g.strideH}x${g.strideW} p${g.padH}x${g.padW}`;

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
  // outputs whose rows are multiples of 8 wide: wasm's GEMM columns skip the padding columns
  conv(2, 5, 6, 12, 16, [3, 3], [1, 1], [1, 1]),
  conv(2, 3, 9, 20, 32, [4, 4], [2, 2], [1, 1]),
  conv(1, 3, 4, 8, 8, [3, 3], [1, 1], [1, 1]),
  conv(2, 4, 9, 24, 48, [4, 4], [2, 2], [1, 1]), // convTranspose2d-like backward-data: phases 12 x 24
  conv(2, 3, 7, 7, 9, [3, 3], [1, 1], [1, 1]),
  conv(1, 13, 1, 11, 5, [7, 7], [1, 1], [3, 3]),
  conv(3, 1, 13, 9, 9, [4, 4], [2, 2], [1, 1]),
  conv(1, 7, 3, 13, 11, [3, 3], [3, 3], [0, 0]),
  conv(2, 3, 65, 5, 7, [1, 1], [1, 1], [0, 0]), // more output channels than a tile
  conv(2, 3, 5, 23, 23, [3, 3], [1, 1], [1, 1]), // webgpu splits the weight gradient's depth
  conv(1, 3, 2, 6, 6, [2, 2], [3, 3], [0, 0]),
  conv(1, 3, 4, 9, 7, [3, 5], [2, 1], [1, 2]),
  // the deep U-Net layers: 4x4, 2x2 and 1x1 images, whose weight gradient's blocks span several images on wasm
  conv(4, 24, 20, 4, 4, [4, 4], [2, 2], [1, 1]),
  conv(3, 9, 6, 2, 2, [4, 4], [2, 2], [1, 1]),
  conv(4, 10, 12, 8, 8, [3, 3], [2, 2], [1, 1]),
  conv(5, 6, 5, 1, 1, [3, 3], [1, 1], [1, 1]),
];
for (const g of convs) {
  const name = convName(g);
  const n = sizes(g);
  cases.push(
    { name: `conv2d ${name}`, inputs: [values(rng, n.x), values(rng, n.w), values(rng, g.cOut)], outputs: [n.y], call: (b, [x, w, bias], [y]) => b.conv2d(x!, w!, bias!, y!, g) },
    { name: `conv2d no bias ${name}`, inputs: [values(rng, n.x), values(rng, n.w)], outputs: [n.y], call: (b, [x, w], [y]) => b.conv2d(x!, w!, null, y!, g) },
    { name: `conv2dBackwardData ${name}`, inputs: [values(rng, n.y), values(rng, n.w)], outputs: [n.x], call: (b, [dy, w], [dx]) => b.conv2dBackwardData(dy!, w!, dx!, g) },
    { name: `conv2dBackwardFilter ${name}`, inputs: [values(rng, n.x), values(rng, n.y)], outputs: [n.w], call: (b, [x, dy], [dw]) => b.conv2dBackwardFilter(x!, dy!, dw!, g, { perSample: false }) },
    {
      name: `conv2dBackwardFilter perSample ${name}`,
      inputs: [values(rng, n.x), values(rng, n.y)],
      outputs: [g.n * n.w],
      call: (b, [x, dy], [dw]) => b.conv2dBackwardFilter(x!, dy!, dw!, g, { perSample: true }),
    },
  );
  // The bias's gradient in the same call (conv2d's from dy, convTranspose2d's from x), written or added to what the outputs hold.
  for (const perSample of [false, true]) {
    const samples = perSample ? g.n : 1;
    for (const accumulate of [false, true]) {
      for (const biasFrom of ['dy', 'x'] as const) {
        const biasSize = samples * (biasFrom === 'x' ? g.cIn : g.cOut);
        cases.push({
          name: `conv2dBackwardFilter with bias from ${biasFrom}${perSample ? ' perSample' : ''}${accumulate ? ' accumulate' : ''} ${name}`,
          inputs: [values(rng, n.x), values(rng, n.y)],
          outputs: accumulate ? [values(rng, samples * n.w), values(rng, biasSize)] : [samples * n.w, biasSize],
          call: (b, [x, dy], [dw, dBias]) => b.conv2dBackwardFilter(x!, dy!, dw!, g, { perSample, dBias, biasFrom, accumulate }),
        });
      }
    }
  }
}

// Bias and activation in the epilogue (conv2d, and conv2dBackwardData as convTranspose2d's forward):
// each activation in turn, and a reduction longer than one block (120 * 9 taps, wasm's kcMax 1024),
// where only the last block may apply it.
const activations: Activation[] = [{ op: 'relu', alpha: 0 }, { op: 'leakyRelu', alpha: 0.2 }, { op: 'tanh', alpha: 0 }];
const epilogues = [...convs.slice(0, 14), conv(2, 120, 5, 9, 10, [3, 3], [1, 1], [1, 1]), ...convs.slice(14)];
epilogues.forEach((g, i) => {
  const act = activations[i % activations.length]!;
  const name = `${convName(g)} ${act.op}`;
  const n = sizes(g);
  cases.push(
    { name: `conv2d bias ${name}`, inputs: [values(rng, n.x), values(rng, n.w), values(rng, g.cOut)], outputs: [n.y], call: (b, [x, w, bias], [y]) => b.conv2d(x!, w!, bias!, y!, g, act) },
    {
      name: `conv2dBackwardData bias ${name}`,
      inputs: [values(rng, n.y), values(rng, n.w), values(rng, g.cIn)],
      outputs: [n.x],
      call: (b, [dy, w, bias], [dx]) => b.conv2dBackwardData(dy!, w!, dx!, g, bias!, act),
    },
    { name: `conv2dBackwardData no bias ${name}`, inputs: [values(rng, n.y), values(rng, n.w)], outputs: [n.x], call: (b, [dy, w], [dx]) => b.conv2dBackwardData(dy!, w!, dx!, g, null, act) },
  );
});

// The epilogue keeps NaN and saturates at +-inf: output channels with biases NaN, inf and -inf.
for (const act of activations) {
  const g = conv(2, 3, 4, 5, 6, [3, 3], [1, 1], [1, 1]);
  const n = sizes(g);
  const bias = new Float32Array([NaN, Infinity, -Infinity, 0.25]);
  cases.push({ name: `conv2d bias NaN and +-inf ${convName(g)} ${act.op}`, inputs: [values(rng, n.x), values(rng, n.w), bias], outputs: [n.y], call: (b, [x, w, bb], [y]) => b.conv2d(x!, w!, bb!, y!, g, act) });
}

// Empty sums: a conv2d with no input channels, and a conv2dBackwardData (convTranspose2d's forward) with
// no channels in dy: every output is act(bias), or 0 without a bias.
{
  const g = conv(2, 0, 3, 5, 6, [3, 3], [2, 1], [1, 1]);
  const n = sizes(g);
  cases.push(
    { name: `conv2d no input channels, bias ${convName(g)} tanh`, inputs: [new Float32Array(0), new Float32Array(0), values(rng, 3)], outputs: [n.y], call: (b, [x, w, bias], [y]) => b.conv2d(x!, w!, bias!, y!, g, { op: 'tanh', alpha: 0 }) },
    { name: `conv2d no input channels ${convName(g)}`, inputs: [new Float32Array(0), new Float32Array(0)], outputs: [n.y], call: (b, [x, w], [y]) => b.conv2d(x!, w!, null, y!, g, null) },
  );
  const t = conv(2, 3, 0, 5, 6, [3, 3], [2, 1], [1, 1]);
  cases.push({
    name: `conv2dBackwardData no dy channels, bias ${convName(t)} leakyRelu`,
    inputs: [new Float32Array(0), new Float32Array(0), values(rng, 3)],
    outputs: [sizes(t).x],
    call: (b, [dy, w, bias], [dx]) => b.conv2dBackwardData(dy!, w!, dx!, t, bias!, { op: 'leakyRelu', alpha: 0.2 }),
  });
}

// A long reduction into a small weight (split, then summed), with rows that are and are not a multiple of 4 wide.
for (const [h, w] of [[70, 66], [64, 64]] as const) {
  const g = conv(4, 1, 3, h, w, [3, 3], [1, 1], [1, 1]);
  cases.push({
    name: `conv2dBackwardFilter split reduction ${convName(g)}`,
    inputs: [values(rng, 4 * h * w), values(rng, 4 * 3 * h * w)],
    outputs: [27],
    call: (b, [x, dy], [dw]) => b.conv2dBackwardFilter(x!, dy!, dw!, g, { perSample: false }),
  });
}

// Transposes, batches with shared and own operands, per-sample outer products, two reduction blocks.
const mm = (batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): MatmulGeometry => ({
  batch, m, n, k, transA, transB, aBatchStride, bBatchStride,
});
const matmuls: MatmulGeometry[] = [
  mm(1, 5, 7, 9, false, false, 0, 0),
  mm(1, 13, 3, 70, true, false, 0, 0),
  mm(1, 1, 13, 301, false, true, 0, 0),
  mm(1, 7, 1, 1, true, true, 0, 0),
  mm(1, 67, 131, 333, false, false, 0, 0),
  mm(3, 5, 6, 7, false, false, 35, 0),
  mm(3, 5, 6, 7, false, true, 0, 42),
  mm(4, 13, 7, 1, false, false, 13, 7),
  mm(1, 9, 21, 1500, false, false, 0, 0),
  mm(1, 7, 13, 5, false, false, 35, 65),
  mm(1, 7, 13, 5, true, false, 35, 65),
  mm(1, 7, 13, 5, false, true, 35, 65),
  mm(1, 7, 13, 5, true, true, 35, 65),
  mm(3, 70, 67, 33, false, true, 70 * 33, 33 * 67),
  mm(2, 5, 3, 9, true, false, 45, 0),
  mm(5, 3, 7, 1, false, false, 3, 7),
  mm(1, 1, 1, 1, false, false, 1, 1),
];
for (const g of matmuls) {
  const aSize = (g.aBatchStride ? g.batch : 1) * g.m * g.k;
  const bSize = (g.bBatchStride ? g.batch : 1) * g.k * g.n;
  cases.push({
    name: `matmul batch=${g.batch} ${g.m}x${g.k}x${g.n} transA=${g.transA} transB=${g.transB} strides ${g.aBatchStride},${g.bBatchStride}`,
    inputs: [values(rng, aSize), values(rng, bSize)],
    outputs: [g.batch * g.m * g.n],
    call: (b, [x, z], [y]) => b.matmul(x!, z!, y!, g),
  });
}

kernelTable(cases);
test.run();
