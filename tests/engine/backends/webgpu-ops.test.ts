/**
 * Engine ops end to end on webgpu against js: forward values and every
 * gradient (per sample too), an Adam step, and a flat memory curve over
 * training steps. The same seeded inputs go to both backends.
 */
import * as assert from 'uvu/assert';
import {
  abs,
  adaptiveAvgPool2d,
  add,
  adaIn,
  affine,
  clamp,
  div,
  exp,
  expandTo,
  log,
  matmul,
  neg,
  relu,
  sqrt,
  square,
  sub,
  avgPool2d,
  cat,
  conv2d,
  convTranspose2d,
  instanceNorm,
  l1Loss,
  layerNorm,
  leakyRelu,
  linear,
  mean,
  memory,
  mseLoss,
  mul,
  optim,
  pad,
  reshape,
  Rng,
  sigmoid,
  slice,
  sum,
  tanh,
  tensor,
  tidy,
  upsampleNearest,
  type Tensor,
} from '../../../engine/index.js';
import { JsBackend } from '../../../engine/backends/js/index.js';
import { assertClose, gpuSuite, onBackend, randomValues, webgpuForTests } from './webgpu-setup.js';

const gpu = await webgpuForTests();
const { test, run } = gpuSuite('webgpu ops', gpu);
const js = new JsBackend();

/** A tensor of seeded normal values (the same on every backend for the same rng state). */
function input(rng: Rng, shape: number[], requiresGrad = true): Tensor {
  return tensor(randomValues(rng, shape.reduce((a, b) => a * b, 1)), shape, { requiresGrad });
}

/** Runs `build` on js and on webgpu; compares every tensor it returns to 1e-4 relative. */
async function parity(b: Parameters<Parameters<typeof test>[1]>[0], build: () => Promise<Record<string, Tensor>>, rtol = 1e-4): Promise<void> {
  const values = async () => {
    const out = await build();
    const read: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(out)) read[name] = await t.data();
    return read;
  };
  const expected = await onBackend(js, values);
  const actual = await onBackend(b, values);
  assert.equal(Object.keys(actual), Object.keys(expected));
  for (const name of Object.keys(expected)) assertClose(actual[name]!, expected[name]!, rtol, name);
}

test('a conv block: reflect-padded conv2d, instanceNorm, leakyRelu, convTranspose2d, tanh, l1Loss', async (b) => {
  await parity(b, async () => {
    const rng = new Rng(7);
    const x = input(rng, [2, 3, 9, 7]);
    const w1 = input(rng, [13, 3, 3, 3]); // no bias: instanceNorm would cancel it (a zero gradient)
    const gamma = input(rng, [13]);
    const beta = input(rng, [13]);
    const w2 = input(rng, [13, 3, 4, 4]); // convTranspose2d: [cIn, cOut, k, k]
    const b2 = input(rng, [3]);
    const target = input(rng, [2, 3, 18, 14], false);
    const h = leakyRelu(instanceNorm(conv2d(x, w1, undefined, { padding: 1, padMode: 'reflect' }), { weight: gamma, bias: beta }), 0.2);
    const y = tanh(convTranspose2d(h, w2, b2, { stride: 2, padding: 1 }));
    const loss = l1Loss(y, target);
    loss.backward();
    return { y, loss, dx: x.grad!, dw1: w1.grad!, dgamma: gamma.grad!, dbeta: beta.grad!, dw2: w2.grad!, db2: b2.grad! };
  });
});

test('resampling and shape ops: avgPool2d, upsampleNearest, pad, cat, slice, sum, mean', async (b) => {
  await parity(b, async () => {
    const rng = new Rng(8);
    const x = input(rng, [2, 7, 5, 5]);
    const pooled = avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
    const up = upsampleNearest(pooled, 3);
    const padded = pad(up, [1, 2, 0, 1], 'zeros');
    const joined = cat([padded, slice(padded, [0, 2, 0, 0], [2, 3, -1, -1])], 1);
    const y = mul(sigmoid(joined), mean(joined, [2, 3], true));
    const loss = add(sum(y), mseLoss(y, 0.5));
    loss.backward();
    return { y, loss, dx: x.grad! };
  });
});

test('MUNIT pieces: layerNorm and adaIn with their gradients', async (b) => {
  await parity(b, async () => {
    const rng = new Rng(9);
    const x = input(rng, [3, 7, 5, 3]);
    const gamma = input(rng, [7]);
    const beta = input(rng, [7]);
    const styleMean = input(rng, [3, 7]);
    const styleStd = input(rng, [3, 7]);
    const target = input(rng, [3, 7, 5, 3], false);
    // Through tanh, and also directly: adaIn's instance norm alone would cancel layerNorm's affine.
    const normed = layerNorm(x, { weight: gamma, bias: beta });
    const y = adaIn(tanh(normed), styleMean, styleStd);
    const loss = add(mean(mul(y, target)), mean(mul(normed, target)));
    loss.backward();
    return { y, dx: x.grad!, dgamma: gamma.grad!, dbeta: beta.grad!, dmean: styleMean.grad!, dstd: styleStd.grad! };
  });
});

test('element-wise ops, expandTo, matmul and adaptiveAvgPool2d with their gradients', async (b) => {
  await parity(b, async () => {
    const rng = new Rng(13);
    const a = input(rng, [7, 5]);
    const m = input(rng, [5, 13]);
    const c = input(rng, [1, 13]);
    const x = input(rng, [3, 7, 3, 5]);
    const h = matmul(a, m); // [7, 13]
    const positive = add(square(h), 0.5);
    const mixed = sub(mul(relu(h), sqrt(positive)), div(neg(abs(h)), positive));
    const bounded = clamp(add(mixed, expandTo(c, [7, 13])), -2, 2);
    const y = add(mul(exp(affine(bounded, 0.5, -0.25)), log(positive)), sum(adaptiveAvgPool2d(x)));
    const loss = mean(mul(y, y));
    loss.backward();
    return { y, da: a.grad!, dm: m.grad!, dc: c.grad!, dx: x.grad! };
  });
});

test('per-sample gradients of conv2d, convTranspose2d, linear and a channel scale', async (b) => {
  await parity(b, async () => {
    const rng = new Rng(10);
    const n = 3;
    const x = input(rng, [n, 3, 7, 7], false);
    const w1 = input(rng, [7, 3, 3, 3]);
    const b1 = input(rng, [7]);
    const scale = input(rng, [1, 7, 1, 1]);
    const w2 = input(rng, [7, 1, 3, 3]);
    const w3 = input(rng, [5, 7 * 4 * 4]);
    const b3 = input(rng, [5]);
    const h = mul(leakyRelu(conv2d(x, w1, b1, { stride: 2, padding: 1 }), 0.2), scale); // [3, 7, 4, 4]
    const t = convTranspose2d(h, w2, undefined, { stride: 1, padding: 1 }); // [3, 1, 4, 4]
    const flat = reshape(h, [n, 7 * 4 * 4]);
    const loss = add(sum(linear(flat, w3, b3)), sum(mul(t, t)));
    loss.backward({ perSample: n });
    return { dw1: w1.grad!, db1: b1.grad!, dscale: scale.grad!, dw2: w2.grad!, dw3: w3.grad!, db3: b3.grad! };
  });
});

test('three Adam steps on a small conv model end where js ends', async (b) => {
  await parity(b, async () => {
    const rng = new Rng(11);
    const w = input(rng, [3, 1, 3, 3]);
    const bias = input(rng, [3]);
    const adam = new optim.Adam([w, bias], { lr: 1e-2, betas: [0.5, 0.999] });
    for (let step = 0; step < 3; step++) {
      const x = input(rng, [2, 1, 7, 5], false);
      tidy(() => {
        mseLoss(conv2d(x, w, bias, { padding: 1 }), 0.25).backward();
      });
      adam.step();
      adam.zeroGrad();
      x.dispose();
    }
    return { w, bias };
  });
});

test('training steps hold tensors, handles, bytes and the pool flat', async (b) => {
  await onBackend(b, async () => {
    const rng = new Rng(12);
    const w = input(rng, [7, 3, 3, 3]);
    const adam = new optim.Adam([w]);
    const x = input(rng, [2, 3, 11, 9], false);
    const step = async () => {
      const loss = tidy(() => {
        const l = l1Loss(tanh(conv2d(x, w, undefined, { padding: 1 })), 0);
        l.backward();
        return l;
      });
      adam.step();
      adam.zeroGrad();
      await loss.data();
      loss.dispose();
    };
    await step();
    const before = { ...memory(), pooled: b.runtime.pooledBytes };
    for (let i = 0; i < 5; i++) await step();
    assert.equal({ ...memory(), pooled: b.runtime.pooledBytes }, before);
    adam.dispose();
    for (const t of [w, x]) t.dispose();
  });
});

run();
