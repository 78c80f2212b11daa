/**
 * Engine checks for the browser test page (web/test.ts) and the programs
 * suite (tests/engine/backends/programs.test.ts, on every backend): small programs, with odd
 * channel counts, that run ops forward and backward and return every tensor
 * worth comparing (outputs, gradients, per-sample gradients, Adam's
 * parameters). Each draws
 * its inputs from its own seeded Rng, so a run on any backend sees the same
 * numbers and can be compared with the js oracle's.
 */
import {
  adaIn,
  adaptiveAvgPool2d,
  add,
  affine,
  avgPool2d,
  cat,
  clamp,
  conv2d,
  convTranspose2d,
  div,
  exp,
  expandTo,
  instanceNorm,
  l1Loss,
  layerNorm,
  leakyRelu,
  linear,
  log,
  matmul,
  mean,
  mseLoss,
  mul,
  neg,
  optim,
  pad,
  relu,
  reshape,
  Rng,
  sigmoid,
  slice,
  sqrt,
  square,
  sub,
  sum,
  abs,
  tanh,
  tensor,
  tidy,
  upsampleNearest,
  sizeOf,
  type Tensor,
} from '../engine/index.js';

export interface EngineCheck {
  name: string;
  /** The tensors to compare, by name. */
  run(): Record<string, Tensor>;
}

/** A tensor of seeded N(0, 1) values. */
function input(rng: Rng, shape: number[], requiresGrad = true): Tensor {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tensor(values, shape, { requiresGrad });
}

export const engineChecks: EngineCheck[] = [
  {
    name: 'conv2d reflect k3, instanceNorm, leakyRelu, convTranspose2d s2, tanh, l1Loss',
    run() {
      const rng = new Rng(7);
      const x = input(rng, [2, 3, 9, 7]);
      const w1 = input(rng, [13, 3, 3, 3]); // no bias: instanceNorm would cancel it (a zero gradient)
      const gamma = input(rng, [13]);
      const beta = input(rng, [13]);
      const w2 = input(rng, [13, 3, 4, 4]); // [cIn, cOut, k, k]
      const b2 = input(rng, [3]);
      const target = input(rng, [2, 3, 18, 14], false);
      const h = leakyRelu(instanceNorm(conv2d(x, w1, undefined, { padding: 1, padMode: 'reflect' }), { weight: gamma, bias: beta }), 0.2);
      const y = tanh(convTranspose2d(h, w2, b2, { stride: 2, padding: 1 }));
      const loss = l1Loss(y, target);
      loss.backward();
      return { y, loss, dx: x.grad!, dw1: w1.grad!, dgamma: gamma.grad!, dbeta: beta.grad!, dw2: w2.grad!, db2: b2.grad! };
    },
  },
  {
    name: 'conv2d s2 with bias, zero padding; linear',
    run() {
      const rng = new Rng(8);
      const x = input(rng, [2, 4, 8, 8]);
      const w = input(rng, [6, 4, 4, 4]);
      const b = input(rng, [6]);
      const wl = input(rng, [3, 6 * 4 * 4]);
      const bl = input(rng, [3]);
      const h = conv2d(x, w, b, { stride: 2, padding: 1 });
      const y = linear(reshape(relu(h), [2, 6 * 4 * 4]), wl, bl);
      const loss = mseLoss(y, 0.5);
      loss.backward();
      return { h, y, dx: x.grad!, dw: w.grad!, db: b.grad!, dwl: wl.grad!, dbl: bl.grad! };
    },
  },
  {
    name: 'element-wise ops with broadcasting, expandTo, matmul, adaptiveAvgPool2d',
    run() {
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
      const loss = mean(mul(sigmoid(y), y));
      loss.backward();
      return { y, loss, da: a.grad!, dm: m.grad!, dc: c.grad!, dx: x.grad! };
    },
  },
  {
    name: 'avgPool2d, upsampleNearest, pad zeros and reflect, cat, slice, sum and mean over axes',
    run() {
      const rng = new Rng(9);
      const x = input(rng, [2, 7, 5, 5]);
      const pooled = avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
      const up = upsampleNearest(pooled, 3);
      const padded = pad(pad(up, [1, 2, 0, 1], 'zeros'), [1, 1, 1, 1], 'reflect');
      const joined = cat([padded, slice(padded, [0, 2, 0, 0], [2, 3, -1, -1])], 1);
      const y = mul(sigmoid(joined), mean(joined, [2, 3], true));
      const loss = add(sum(y), mseLoss(y, 0.5));
      loss.backward();
      return { y, loss, dx: x.grad! };
    },
  },
  {
    name: 'layerNorm and adaIn',
    run() {
      const rng = new Rng(10);
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
    },
  },
  {
    name: 'per-sample gradients of conv2d, convTranspose2d, linear and a channel scale',
    run() {
      const rng = new Rng(11);
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
      const loss = add(sum(linear(reshape(h, [n, 7 * 4 * 4]), w3, b3)), sum(mul(t, t)));
      loss.backward({ perSample: n });
      return { dw1: w1.grad!, db1: b1.grad!, dscale: scale.grad!, dw2: w2.grad!, dw3: w3.grad!, db3: b3.grad! };
    },
  },
  {
    name: 'three Adam steps on a small conv model',
    run() {
      const rng = new Rng(12);
      const w = input(rng, [3, 1, 3, 3]);
      const bias = input(rng, [3]);
      const adam = new optim.Adam([w, bias], { lr: 1e-2, betas: [0.5, 0.999] });
      for (let step = 0; step < 3; step++) {
        const x = input(rng, [2, 1, 7, 5], false);
        tidy(() => mseLoss(conv2d(x, w, bias, { padding: 1 }), 0.25).backward());
        adam.step();
        adam.zeroGrad();
        x.dispose();
      }
      adam.dispose();
      return { w, bias };
    },
  },
];
