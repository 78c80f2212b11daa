/**
 * Engine programs on every backend against the same program on js: the
 * browser page's engine checks (web/checks.ts: forward values and every
 * gradient, per sample too, Adam steps) and small networks whose loss and
 * leaf gradients are compared, per sample too. The same seeded inputs go to
 * each backend; the kernels themselves are checked one by one in
 * tests/engine/kernels.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  abs, add, avgPool2d, cat, conv2d, convTranspose2d, exp, instanceNorm, l1Loss, leakyRelu, linear, log, mean, mseLoss, relu,
  reshape, Rng, sigmoid, slice, sub, sum, tanh, tensor, tidy, upsampleNearest, type Tensor,
} from '../../../engine/index.js';
import { engineChecks } from '../../../web/checks.js';
import { assertClose, everyBackend, js, testOn, withBackend } from '../../helpers/backends.js';
import { values } from '../kernels/table.js';
import { sizeOf } from '../../../engine/strides.js';

const compared = everyBackend.filter((b) => b.backend !== js);

/** Runs each engine check on js and on each backend; compares every tensor it returns. */
for (const check of engineChecks) {
  const read = async () => {
    const out: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(check.run())) out[name] = await t.data();
    return out;
  };
  let expected: Promise<Record<string, Float32Array>> | undefined;
  for (const on of compared) {
    testOn(on, check.name, async () => {
      expected ??= withBackend(js, read);
      const [want, got] = [await expected, await read()];
      assert.equal(Object.keys(got), Object.keys(want));
      for (const name of Object.keys(want)) assertClose(got[name]!, want[name]!, name);
    });
  }
}

const rng = new Rng(99);

interface Leaf {
  shape: number[];
  values: Float32Array;
}

const leaf = (shape: number[], low = -1, high = 1): Leaf => ({ shape, values: values(rng, sizeOf(shape), low, high) });

/** Runs `net` on the installed backend from the leaves' values; returns the loss and every leaf's gradient. */
async function lossAndGradients(leaves: Leaf[], net: (ts: Tensor[]) => Tensor, perSample: number): Promise<Float32Array[]> {
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

function network(name: string, leaves: Leaf[], net: (ts: Tensor[]) => Tensor, perSample = 0): void {
  let expected: Promise<Float32Array[]> | undefined;
  for (const on of compared) {
    testOn(on, name, async () => {
      expected ??= withBackend(js, () => lossAndGradients(leaves, net, perSample));
      const [want, got] = [await expected, await lossAndGradients(leaves, net, perSample)];
      want.forEach((e, i) => assertClose(got[i]!, e, `${name}: ${i === 0 ? 'loss' : `gradient of leaf ${i - 1}`}`));
    });
  }
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

const generatorLeaves = [
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

network('conv, reflect pad, instance norm, leaky ReLU, strided conv, transposed conv: loss and gradients', generatorLeaves, generatorLike);
network('the same network with per-sample gradients (DP-SGD)', generatorLeaves, generatorLike, 2);
network('pooling, upsampling, linear, sigmoid, log, MSE and L1', [leaf([3, 4, 7, 9]), leaf([6, 4 * 7 * 9], -0.1, 0.1), leaf([6]), leaf([3, 6], 0.1, 0.9)], ([x, w, b, target]) => {
  const pooled = avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad: false });
  const up = upsampleNearest(pooled, 2); // [3, 4, 8, 10]
  const cropped = slice(up, [0, 0, 0, 0], [-1, -1, 7, 9]);
  const p = sigmoid(linear(reshape(cropped, [3, -1]), w!, b!));
  return add(mseLoss(p, target!), l1Loss(log(p), exp(log(target!))));
});

test.run();
