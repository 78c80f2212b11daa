import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  keep, leakyRelu, manualSeed, mean, nn, randn, randomNormal, reshape, Rng, slice, square, sub, sum, tidy,
  type Tensor,
} from '../../engine/index.js';
import { clippedFraction, sanitisePerSampleGradients } from '../../fed/dp/dpsgd.js';

/** A small net touching every per-sample path: conv, instance-norm affine, linear. */
class TinyNet extends nn.Module {
  conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
  norm = new nn.InstanceNorm2d(3, { affine: true });
  head = new nn.Linear(3 * 5 * 5, 4);

  forward(x: Tensor): Tensor {
    const h = leakyRelu(this.norm.forward(this.conv.forward(x)), 0.2);
    return this.head.forward(reshape(h, [x.shape[0]!, -1]));
  }
}

/** Each sample's loss, summed: sample i's gradient is then the gradient of its own loss. */
function summedLoss(net: TinyNet, x: Tensor, target: Tensor): Tensor {
  return sum(mean(square(sub(net.forward(x), target)), 1));
}

async function grads(params: Tensor[]): Promise<Float32Array[]> {
  return Promise.all(params.map((p) => p.grad!.data()));
}

test('DP-SGD on per-sample gradients equals N batch-of-one passes, clipped, summed and noised', async () => {
  manualSeed(7);
  const net = new TinyNet();
  const params = net.parameters();
  const n = 4;
  const x = keep(randn([n, 2, 5, 5]));
  const target = keep(randn([n, 4]));
  const clip = 0.5;
  const noise = 1.07;

  tidy(() => summedLoss(net, x, target).backward({ perSample: n }));
  const normsTensor = sanitisePerSampleGradients(params, { clip, noise, rng: new Rng(11) });
  const report = { norms: await normsTensor.data(), clippedFraction: await clippedFraction(normsTensor, clip) };
  normsTensor.dispose();
  const fast = await grads(params);
  for (const p of params) p.grad = (p.grad?.dispose(), null);

  // The naive way: one backward pass per sample.
  const expected = params.map((p) => new Float64Array(p.size));
  const norms: number[] = [];
  for (let i = 0; i < n; i++) {
    tidy(() => summedLoss(net, slice(x, [i, 0, 0, 0], [1, 2, 5, 5]), slice(target, [i, 0], [1, 4])).backward());
    const g = await grads(params);
    const norm = Math.sqrt(g.reduce((s, gi) => s + gi.reduce((a, v) => a + v * v, 0), 0));
    norms.push(norm);
    const factor = Math.min(1, clip / (norm + 1e-6));
    g.forEach((gi, k) => gi.forEach((v, j) => (expected[k]![j] += factor * v)));
    for (const p of params) p.grad = (p.grad?.dispose(), null);
  }
  const seed = new Rng(11).nextUint32(); // the same streams: parameter k's is (seed, k)
  for (const [k, p] of params.entries()) {
    const z = randomNormal(p.shape, { seed, counter: k });
    (await z.data()).forEach((v, j) => (expected[k]![j] = (expected[k]![j]! + noise * clip * v) / n));
    z.dispose();
  }

  norms.forEach((v, i) => assert.ok(Math.abs(v - report.norms[i]!) <= 1e-4 * Math.max(1, v), `norm of sample ${i}`));
  assert.ok(report.clippedFraction > 0, 'the test clips at least one sample');
  fast.forEach((f, k) => {
    const scale = Math.max(...expected[k]!.map(Math.abs));
    f.forEach((v, j) => assert.ok(Math.abs(v - expected[k]![j]!) <= 1e-4 * scale, `param ${k}[${j}]: ${v} vs ${expected[k]![j]}`));
  });
  net.dispose();
  x.dispose();
  target.dispose();
});

test('DP-SGD refuses gradients that are not per sample', () => {
  manualSeed(1);
  const net = new TinyNet();
  tidy(() => summedLoss(net, randn([2, 2, 5, 5]), randn([2, 4])).backward());
  try {
    sanitisePerSampleGradients(net.parameters(), { clip: 1, noise: 1, rng: new Rng(1) });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /per-sample/);
  }
  net.dispose();
});

test.run();
