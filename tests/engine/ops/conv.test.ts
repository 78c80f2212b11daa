/** engine/ops/conv.ts: conv2d and convTranspose2d against PyTorch fixtures and finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  conv2d, convTranspose2d, leakyRelu, mul, randn, relu, Rng, sum, tanh, tensor, type ActivationOptions, type PadMode, type Tensor,
} from '../../../engine/index.js';
import { activationOptions, checkOpCase, loadOpCases, relativeError } from '../../helpers/fixtures.js';
import { gradCheck } from '../../helpers/gradcheck.js';

for (const c of loadOpCases('conv')) {
  test(`${c.name} matches PyTorch`, async () => {
    const o = c.options;
    const activation = activationOptions(c);
    await checkOpCase(c, ({ x, w, b }) =>
      c.op === 'conv2d'
        ? conv2d(x!, w!, b, { stride: o.stride as number, padding: o.padding as number, padMode: o.padMode as PadMode, ...activation })
        : convTranspose2d(x!, w!, b, { stride: o.stride as number, padding: o.padding as number, outputPadding: o.outputPadding as number, ...activation }),
    );
  });
}

const rng = new Rng(41);

interface ConvCase {
  k: number;
  stride: number | [number, number];
  padding: number | [number, number];
  padMode: PadMode;
  size: [number, number];
}

const convCases: ConvCase[] = [
  { k: 3, stride: 1, padding: 1, padMode: 'zeros', size: [5, 5] },
  { k: 3, stride: 2, padding: 1, padMode: 'reflect', size: [5, 6] },
  { k: 4, stride: 2, padding: 1, padMode: 'zeros', size: [6, 6] },
  { k: 4, stride: 1, padding: 1, padMode: 'reflect', size: [5, 4] },
  { k: 7, stride: 1, padding: 3, padMode: 'reflect', size: [7, 7] },
  { k: 3, stride: [1, 2], padding: [0, 1], padMode: 'zeros', size: [5, 6] },
];

for (const c of convCases) {
  const label = `conv2d x=[1,2,${c.size}] k${c.k} s${c.stride} p${c.padding} ${c.padMode}`;
  test(`${label} gradient`, async () => {
    const x = randn([1, 2, ...c.size], { rng });
    const w = randn([2, 2, c.k, c.k], { rng });
    const b = randn([2], { rng });
    const options = { stride: c.stride, padding: c.padding, padMode: c.padMode };
    await gradCheck(label, (xs, ws, bs) => conv2d(xs!, ws!, bs, options), [x, w, b]);
  });
}

test('conv2d x=[2,3,5,5] k3 without bias, batch of two: gradient', async () => {
  const x = randn([2, 3, 5, 5], { rng });
  const w = randn([2, 3, 3, 3], { rng });
  await gradCheck('conv2d no bias', (xs, ws) => conv2d(xs!, ws!, undefined, { padding: 1 }), [x, w]);
});

const transposedCases = [
  { k: 4, stride: 2, padding: 1, outputPadding: 0 },
  { k: 3, stride: 2, padding: 1, outputPadding: 1 },
  { k: 3, stride: 1, padding: 0, outputPadding: 0 },
];

for (const c of transposedCases) {
  const label = `convTranspose2d x=[2,2,3,3] k${c.k} s${c.stride} p${c.padding} op${c.outputPadding}`;
  test(`${label} gradient`, async () => {
    const x = randn([2, 2, 3, 3], { rng });
    const w = randn([2, 3, c.k, c.k], { rng });
    const b = randn([3], { rng });
    await gradCheck(label, (xs, ws, bs) => convTranspose2d(xs!, ws!, bs, c), [x, w, b]);
  });
}

// A fused activation is the activation op applied to the convolution's output: values and gradients.
const fused: { options: ActivationOptions; apply: (y: Tensor) => Tensor }[] = [
  { options: { activation: 'relu' }, apply: relu },
  { options: { activation: 'leakyRelu', slope: 0.2 }, apply: (y) => leakyRelu(y, 0.2) },
  { options: { activation: 'leakyRelu' }, apply: (y) => leakyRelu(y) },
  { options: { activation: 'tanh' }, apply: tanh },
];

/** Output, and the gradients of sum(f(x, w, b) * r), of a function of three leaves. */
async function outputAndGrads(f: (x: Tensor, w: Tensor, b: Tensor) => Tensor, leaves: Tensor[], r: Tensor): Promise<Float32Array[]> {
  const [x, w, b] = await Promise.all(leaves.map(async (t) => tensor(await t.data(), t.shape, { requiresGrad: true })));
  const y = f(x!, w!, b!);
  sum(mul(y, r)).backward();
  return Promise.all([y, x!.grad!, w!.grad!, b!.grad!].map((t) => t.data()));
}

async function assertSameAsComposed(label: string, fusedOp: (x: Tensor, w: Tensor, b: Tensor) => Tensor, composed: (x: Tensor, w: Tensor, b: Tensor) => Tensor, leaves: Tensor[], outShape: number[]) {
  const r = randn(outShape, { rng });
  const got = await outputAndGrads(fusedOp, leaves, r);
  const want = await outputAndGrads(composed, leaves, r);
  ['output', 'dx', 'dw', 'db'].forEach((what, i) => assert.ok(relativeError(got[i]!, want[i]!) < 1e-6, `${label}: ${what} differs from the composed ops`));
}

for (const { options, apply } of fused) {
  const label = `${options.activation}${options.slope === undefined ? '' : ` slope ${options.slope}`}`;
  test(`conv2d with ${label} equals the activation of conv2d, forward and backward`, async () => {
    const conv = { stride: 2, padding: 1, padMode: 'reflect' } as const;
    const leaves = [randn([2, 3, 7, 6], { rng }), randn([4, 3, 3, 3], { rng }), randn([4], { rng })];
    await assertSameAsComposed(label, (x, w, b) => conv2d(x, w, b, { ...conv, ...options }), (x, w, b) => apply(conv2d(x, w, b, conv)), leaves, [2, 4, 4, 3]);
  });
  test(`convTranspose2d with ${label} equals the activation of convTranspose2d, forward and backward`, async () => {
    const conv = { stride: 2, padding: 1 };
    const leaves = [randn([2, 3, 4, 5], { rng }), randn([3, 2, 4, 4], { rng }), randn([2], { rng })];
    await assertSameAsComposed(label, (x, w, b) => convTranspose2d(x, w, b, { ...conv, ...options }), (x, w, b) => apply(convTranspose2d(x, w, b, conv)), leaves, [2, 2, 8, 10]);
  });
}

test('conv2d and convTranspose2d with tanh: gradient', async () => {
  // tanh, not relu: finite differences across a kink would be wrong, and the kinks are checked against the composed ops above.
  const x = randn([2, 2, 5, 5], { rng });
  const b = randn([3], { rng });
  await gradCheck('conv2d tanh', (xs, ws, bs) => conv2d(xs!, ws!, bs, { padding: 1, activation: 'tanh' }), [x, randn([3, 2, 3, 3], { rng }), b]);
  await gradCheck('convTranspose2d tanh', (xs, ws, bs) => convTranspose2d(xs!, ws!, bs, { stride: 2, padding: 1, activation: 'tanh' }), [x, randn([2, 3, 4, 4], { rng }), b]);
});

test('a bad activation is a one-line error naming it', () => {
  const x = randn([1, 2, 5, 5], { rng });
  const w = randn([4, 2, 3, 3], { rng });
  assert.throws(() => conv2d(x, w, undefined, { activation: 'gelu' as 'relu' }), /conv2d: activation must be 'relu', 'leakyRelu' or 'tanh', got "gelu"/);
  assert.throws(() => conv2d(x, w, undefined, { activation: 'relu', slope: 0.2 }), /conv2d: slope is for activation 'leakyRelu', not 'relu'/);
  assert.throws(() => conv2d(x, w, undefined, { slope: 0.2 }), /conv2d: slope is for activation 'leakyRelu', and no activation was given/);
  assert.throws(() => convTranspose2d(x, randn([2, 3, 3, 3]), undefined, { activation: 'leakyRelu', slope: -0.5 }), /convTranspose2d: leakyRelu slope must be >= 0, got -0.5/);
});

test('output sizes follow PyTorch', () => {
  const x = randn([1, 2, 9, 8], { rng });
  assert.equal([...conv2d(x, randn([4, 2, 4, 4]), undefined, { stride: 2, padding: 1 }).shape], [1, 4, 4, 4]);
  assert.equal([...conv2d(x, randn([4, 2, 7, 7]), undefined, { padding: 3, padMode: 'reflect' }).shape], [1, 4, 9, 8]);
  assert.equal([...convTranspose2d(x, randn([2, 3, 3, 3]), undefined, { stride: 2, padding: 1, outputPadding: 1 }).shape], [1, 3, 18, 16]);
});

test('bad shapes are one-line errors naming them', () => {
  const x = randn([1, 2, 5, 5], { rng });
  assert.throws(() => conv2d(x, randn([4, 3, 3, 3])), /conv2d: input has 2 channels/);
  assert.throws(() => conv2d(x, randn([4, 2, 7, 7])), /does not fit 5x5/);
  assert.throws(() => conv2d(x, randn([4, 2, 3, 3]), randn([3])), /bias .* should be \[4\]/);
  assert.throws(() => convTranspose2d(x, randn([2, 3, 3, 3]), undefined, { stride: 2, outputPadding: 2 }), /outputPadding must be smaller than stride/);
  assert.throws(() => convTranspose2d(randn([1, 2, 1, 1]), randn([2, 1, 3, 3]), undefined, { padding: 3 }), /convTranspose2d: padding 3,3 leaves no output of .* with a 3x3 kernel \(-3x-3\)/);
});

test('a window that is not whole numbers, or a stride below 1, or a padding below 0, is an error naming the op', () => {
  const x = randn([1, 2, 5, 5], { rng });
  const w = randn([4, 2, 3, 3], { rng });
  assert.throws(() => conv2d(x, w, undefined, { stride: 1.5 }), /^conv2d: stride must be whole numbers >= 1, got \[1.5,1.5\]$/);
  assert.throws(() => conv2d(x, w, undefined, { stride: [1, 0] }), /^conv2d: stride must be whole numbers >= 1, got \[1,0\]$/);
  assert.throws(() => conv2d(x, w, undefined, { padding: -1 }), /^conv2d: padding must be whole numbers >= 0, got \[-1,-1\]$/);
  assert.throws(() => conv2d(x, w, undefined, { padding: -1, padMode: 'reflect' }), /^conv2d: padding must be whole numbers >= 0/);
  assert.throws(() => conv2d(x, randn([4, 2, 0, 3])), /^conv2d: kernel must be whole numbers >= 1, got \[0,3\]$/);
  const wT = randn([2, 3, 3, 3], { rng });
  assert.throws(() => convTranspose2d(x, wT, undefined, { stride: 0.5 }), /^convTranspose2d: stride must be whole numbers >= 1/);
  assert.throws(() => convTranspose2d(x, wT, undefined, { padding: [0, -2] }), /^convTranspose2d: padding must be whole numbers >= 0, got \[0,-2\]$/);
  assert.throws(() => convTranspose2d(x, wT, undefined, { stride: 2, outputPadding: 0.5 }), /^convTranspose2d: outputPadding must be whole numbers >= 0/);
});

test.run();
