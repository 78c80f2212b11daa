import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  keep, leakyRelu, manualSeed, mean, nn, randn, randomNormal, reshape, Rng, slice, square, sub, sum, tidy,
  type Tensor,
} from '../../engine/index.js';
import { clippedFraction, noiseOnlyGradients, sanitisePerSampleGradients } from '../../fed/dp/dpsgd.js';

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

interface Case {
  n: number;
  clip: number;
  noise: number;
  expectedBatch?: number;
  units?: number[];
}

/** The sanitiser's result and per-unit norms on a batch of n, run the fast way (one per-sample backward). */
async function fastWay(net: TinyNet, x: Tensor, target: Tensor, c: Case): Promise<{ grads: Float32Array[]; norms: Float32Array; clipped: number }> {
  const params = net.parameters();
  if (c.n === 0) {
    noiseOnlyGradients(params, { clip: c.clip, noise: c.noise, rng: new Rng(11), expectedBatch: c.expectedBatch! });
    const out = await grads(params);
    for (const p of params) p.grad = (p.grad?.dispose(), null);
    return { grads: out, norms: new Float32Array(0), clipped: 0 };
  }
  tidy(() => summedLoss(net, x, target).backward({ perSample: c.n }));
  const normsTensor = sanitisePerSampleGradients(params, { clip: c.clip, noise: c.noise, rng: new Rng(11), expectedBatch: c.expectedBatch, units: c.units });
  const result = { norms: await normsTensor.data(), clipped: await clippedFraction(normsTensor, c.clip) };
  normsTensor.dispose();
  const out = await grads(params);
  for (const p of params) p.grad = (p.grad?.dispose(), null);
  return { grads: out, ...result };
}

/**
 * The naive way: one backward pass per sample; each unit's gradients summed
 * by hand and clipped as one, summed, noised with the same draws, divided.
 */
async function naiveWay(net: TinyNet, x: Tensor, target: Tensor, c: Case): Promise<{ grads: Float64Array[]; norms: number[] }> {
  const params = net.parameters();
  const units = c.units ?? Array.from({ length: c.n }, (_, i) => i);
  const unitCount = c.n ? Math.max(...units) + 1 : 0;
  const perUnit = Array.from({ length: unitCount }, () => params.map((p) => new Float64Array(p.size)));
  for (let i = 0; i < c.n; i++) {
    tidy(() => summedLoss(net, slice(x, [i, 0, 0, 0], [1, 2, 5, 5]), slice(target, [i, 0], [1, 4])).backward());
    (await grads(params)).forEach((gi, k) => gi.forEach((v, j) => (perUnit[units[i]!]![k]![j] += v)));
    for (const p of params) p.grad = (p.grad?.dispose(), null);
  }
  const expected = params.map((p) => new Float64Array(p.size));
  const norms = perUnit.map((g) => {
    const norm = Math.sqrt(g.reduce((s, gi) => s + gi.reduce((a, v) => a + v * v, 0), 0));
    const factor = Math.min(1, c.clip / (norm + 1e-6));
    g.forEach((gi, k) => gi.forEach((v, j) => (expected[k]![j] += factor * v)));
    return norm;
  });
  const seed = new Rng(11).nextUint32(); // the same streams: parameter k's is (seed, k)
  const divisor = c.expectedBatch ?? c.n;
  for (const [k, p] of params.entries()) {
    const z = randomNormal(p.shape, { seed, counter: k });
    (await z.data()).forEach((v, j) => (expected[k]![j] = (expected[k]![j]! + c.noise * c.clip * v) / divisor));
    z.dispose();
  }
  return { grads: expected, norms };
}

async function assertSanitiserMatchesNaive(c: Case, seed: number): Promise<{ clipped: number }> {
  manualSeed(seed);
  const net = new TinyNet();
  const x = keep(randn([Math.max(c.n, 1), 2, 5, 5]));
  const target = keep(randn([Math.max(c.n, 1), 4]));
  const fast = await fastWay(net, x, target, c);
  const naive = await naiveWay(net, x, target, c);
  assert.is(fast.norms.length, naive.norms.length);
  naive.norms.forEach((v, i) => assert.ok(Math.abs(v - fast.norms[i]!) <= 1e-4 * Math.max(1, v), `norm of unit ${i}`));
  fast.grads.forEach((f, k) => {
    const scale = Math.max(...naive.grads[k]!.map(Math.abs));
    f.forEach((v, j) => assert.ok(Math.abs(v - naive.grads[k]![j]!) <= 1e-4 * scale, `n ${c.n}, param ${k}[${j}]: ${v} vs ${naive.grads[k]![j]}`));
  });
  net.dispose();
  x.dispose();
  target.dispose();
  return { clipped: fast.clipped };
}

test('DP-SGD on per-sample gradients equals N batch-of-one passes, clipped, summed and noised', async () => {
  const { clipped } = await assertSanitiserMatchesNaive({ n: 4, clip: 0.5, noise: 1.07 }, 7);
  assert.ok(clipped > 0, 'the test clips at least one sample');
});

test('DP-SGD on Poisson batches of 3, 1 and 0 divides by the expected batch and equals the naive loop; the empty one is noise alone', async () => {
  for (const [n, seed] of [[3, 8], [1, 9], [0, 10]] as const) {
    await assertSanitiserMatchesNaive({ n, clip: 0.5, noise: 1.07, expectedBatch: 2 }, seed);
  }
});

test('subject-level DP-SGD clips each subject\'s summed gradient as one, as by hand', async () => {
  // Five slices of three subjects: subject 0 holds slices 0 and 3, subject 1 slice 1, subject 2 slices 2 and 4.
  const { clipped } = await assertSanitiserMatchesNaive({ n: 5, clip: 0.5, noise: 0.8, expectedBatch: 3, units: [0, 1, 2, 0, 2] }, 12);
  assert.ok(clipped > 0, 'the test clips at least one subject');
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
