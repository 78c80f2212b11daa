import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  keep, leakyRelu, manualSeed, mean, nn, randn, reshape, Rng, slice, square, sub, sum, tensor, tidy,
  type Tensor,
} from '../../engine/index.js';
import { noiseOnlyGradients, sanitisePerSampleGradients } from '../../fed/dp/dpsgd.js';
import { assertClose, naiveDpSgd, type NaiveCase } from './dp_naive.js';

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

/** The sanitiser's result and per-unit norms on a batch of n, run the fast way (one per-sample backward). */
async function fastWay(net: TinyNet, x: Tensor, target: Tensor, c: NaiveCase): Promise<{ grads: Float32Array[]; norms: Float32Array }> {
  const params = net.parameters();
  if (c.n === 0) {
    noiseOnlyGradients(params, { clip: c.clip, noise: c.noise, rng: new Rng(11), expectedBatch: c.expectedBatch! });
    const out = await grads(params);
    for (const p of params) p.grad = (p.grad?.dispose(), null);
    return { grads: out, norms: new Float32Array(0) };
  }
  tidy(() => summedLoss(net, x, target).backward({ perSample: c.n }));
  const normsTensor = sanitisePerSampleGradients(params, { clip: c.clip, share: c.share, noise: c.noise, rng: new Rng(11), expectedBatch: c.expectedBatch, units: c.units });
  const norms = await normsTensor.data();
  normsTensor.dispose();
  const out = await grads(params);
  for (const p of params) p.grad = (p.grad?.dispose(), null);
  return { grads: out, norms };
}

async function assertSanitiserMatchesNaive(c: NaiveCase, seed: number): Promise<{ clipped: number }> {
  manualSeed(seed);
  const net = new TinyNet();
  const x = keep(randn([Math.max(c.n, 1), 2, 5, 5]));
  const target = keep(randn([Math.max(c.n, 1), 4]));
  const fast = await fastWay(net, x, target, c);
  const backwardOne = (i: number) => tidy(() => summedLoss(net, slice(x, [i, 0, 0, 0], [1, 2, 5, 5]), slice(target, [i, 0], [1, 4])).backward());
  const naive = await naiveDpSgd(net.parameters(), backwardOne, c, 11);
  assert.is(fast.norms.length, naive.norms.length);
  naive.norms.forEach((v, i) => assert.ok(Math.abs(v - fast.norms[i]!) <= 1e-4 * Math.max(1, v), `norm of unit ${i}`));
  assertClose(fast.grads, naive.grads, `n ${c.n}`);
  net.dispose();
  x.dispose();
  target.dispose();
  return { clipped: fast.norms.filter((norm) => norm > c.clip * Math.sqrt(c.share ?? 1)).length };
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

test("subject-level DP-SGD: one subject's non-finite gradient leaves that subject out and no other", async () => {
  // Three subjects: 0 holds samples 0 and 2, 1 holds sample 1 (its gradient NaN or infinite), 2 holds sample 3.
  for (const bad of [NaN, Infinity]) {
    const p = tensor(new Float32Array(2), [2]);
    p.grad = tensor(Float32Array.from([3, 4, bad, 0, 0, 0, 0, 5]), [4, 2]);
    const norms = await sanitisePerSampleGradients([p], { clip: 1, noise: 0, rng: new Rng(1), expectedBatch: 1, units: [0, 1, 0, 2] }).data();
    assert.equal([norms[0], norms[2]], [5, 5], `${bad}: the other subjects' norms`);
    // Subject 0's (3, 4) and subject 2's (0, 5), each clipped to norm 1; subject 1 adds nothing.
    const sum = [...(await p.grad!.data())];
    [0.6, 1.8].forEach((want, i) => assert.ok(Math.abs(sum[i]! - want) < 1e-5, `${bad}: [${sum}]`));
    p.grad!.dispose();
  }
});

test('a group with a share of C^2 is clipped to C sqrt(share) and noised with std sigma C, as by hand', async () => {
  const { clipped } = await assertSanitiserMatchesNaive({ n: 3, clip: 0.5, share: 0.3, noise: 1.07, expectedBatch: 2 }, 13);
  assert.ok(clipped > 0, 'the test clips at least one sample');
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
