/**
 * End to end on the wasm backend: small networks of engine ops, forward and
 * backward (and per-sample backward), against the same computation on js.
 */
import { test } from 'uvu';
import { installNodePlatform } from '../../../platform/node.js';
import {
  abs, add, avgPool2d, cat, conv2d, convTranspose2d, exp, getBackend, instanceNorm, l1Loss, leakyRelu, linear, log, mean, mseLoss, relu,
  reshape, Rng, setBackend, sigmoid, slice, sub, sum, tanh, tensor, tidy, upsampleNearest, useBackend, type Backend, type Tensor,
} from '../../../engine/index.js';
import { assertClose, randomValues } from './parity.js';

installNodePlatform();
const rng = new Rng(99);

interface Leaf {
  shape: number[];
  values: Float32Array;
}

const leaf = (shape: number[], low = -1, high = 1): Leaf => ({ shape, values: randomValues(rng, shape.reduce((a, b) => a * b, 1), low, high) });

/** Runs `net` on a backend from the same leaf values; returns the loss and every leaf's gradient. */
async function run(backend: 'js' | 'wasm', leaves: Leaf[], net: (ts: Tensor[]) => Tensor, perSample = 0): Promise<Float32Array[]> {
  await setBackend(backend);
  const ts = leaves.map((l) => tensor(l.values, l.shape, { requiresGrad: true }));
  const loss = tidy(() => {
    const y = net(ts);
    y.backward(perSample ? { perSample } : {});
    return y;
  });
  const out = [await loss.data(), ...(await Promise.all(ts.map((t) => t.grad!.data())))];
  for (const t of [loss, ...ts]) t.dispose();
  return out;
}

async function assertSameOnBoth(name: string, leaves: Leaf[], net: (ts: Tensor[]) => Tensor, perSample = 0): Promise<void> {
  const expected = await run('js', leaves, net, perSample);
  const actual = await run('wasm', leaves, net, perSample);
  expected.forEach((e, i) => assertClose(actual[i]!, e, 1e-4, `${name}: ${i === 0 ? 'loss' : `gradient of leaf ${i - 1}`}`));
}

/** A generator-shaped net; per-sample losses summed, so that each sample's gradient is its own loss's. */
function generatorLike([x, w1, gamma, beta, w2, b2, w3, b3, target]: Tensor[]): Tensor {
  // No bias before the instance norm: its gradient is zero, made of rounding noise.
  const h1 = conv2d(x!, w1!, undefined, { padding: 1, padMode: 'reflect' });
  const h2 = leakyRelu(instanceNorm(h1, { weight: gamma!, bias: beta! }), 0.2);
  const h3 = relu(conv2d(h2, w2!, b2!, { stride: 2, padding: 1 }));
  const y = tanh(convTranspose2d(h3, w3!, b3!, { stride: 2, padding: 1 }));
  // Swap the first channel to the end, to take slice and cat through backward too.
  const shuffled = cat([slice(y, [0, 1, 0, 0], [-1, -1, -1, -1]), slice(y, [0, 0, 0, 0], [-1, 1, -1, -1])], 1);
  return sum(mean(abs(sub(shuffled, target!)), [1, 2, 3]));
}

const generatorLeaves = () => [
  leaf([2, 3, 9, 11]), // x
  leaf([5, 3, 3, 3], -0.3, 0.3), // w1
  leaf([5], 0.5, 1.5), // gamma
  leaf([5]), // beta
  leaf([7, 5, 4, 4], -0.2, 0.2), // w2
  leaf([7], -0.2, 0.2), // b2
  leaf([7, 3, 4, 4], -0.2, 0.2), // w3 [cIn, cOut, k, k]
  leaf([3]), // b3
  leaf([2, 3, 8, 10], -0.5, 0.5), // target
];

test('conv, reflect pad, instance norm, leaky ReLU, strided conv, transposed conv: loss and gradients', async () => {
  await assertSameOnBoth('generator-like', generatorLeaves(), generatorLike);
});

test('the same network with per-sample gradients (DP-SGD)', async () => {
  await assertSameOnBoth('per-sample', generatorLeaves(), generatorLike, 2);
});

test('pooling, upsampling, linear, sigmoid, log, MSE and L1', async () => {
  const leaves = [leaf([3, 4, 7, 9]), leaf([6, 4 * 7 * 9], -0.1, 0.1), leaf([6]), leaf([3, 6], 0.1, 0.9)];
  await assertSameOnBoth('pool-linear', leaves, ([x, w, b, target]) => {
    const pooled = avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad: false });
    const up = upsampleNearest(pooled, 2); // [3, 4, 8, 10]
    const cropped = slice(up, [0, 0, 0, 0], [-1, -1, 7, 9]);
    const p = sigmoid(linear(reshape(cropped, [3, -1]), w!, b!));
    return add(mseLoss(p, target!), l1Loss(log(p), exp(log(target!))));
  });
});

// Other suites in this process made their tensors on the backend current before this one.
let initial: Backend | undefined;
test.before(() => void (initial = getBackend()));
test.after(() => void useBackend(initial!));

test.run();
