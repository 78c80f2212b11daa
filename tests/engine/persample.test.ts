/**
 * Per-sample gradients (backward({ perSample: N })), for DP-SGD: each
 * parameter's [N, ...shape] gradient must equal N separate batch-of-one
 * backward passes, and sum to the ordinary batch gradient.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  conv2d, convTranspose2d, instanceNorm, layerNorm, linear, matmul, mul, nn, randn, reshape, Rng, slice, sum, tanh, tidy,
  type Tensor,
} from '../../engine/index.js';
import { relativeError } from '../helpers/fixtures.js';

const rng = new Rng(101);

/** Sample i of a batch: [1, ...rest]. */
function sample(t: Tensor, i: number): Tensor {
  return slice(t, t.shape.map((_, d) => (d === 0 ? i : 0)), t.shape.map((d, k) => (k === 0 ? 1 : d)));
}

/** Every parameter's gradient after backward of L = sum(f(x) * r), then cleared. */
async function gradients(params: readonly Tensor[], f: (x: Tensor) => Tensor, x: Tensor, r: Tensor, perSample?: number): Promise<Float32Array[]> {
  tidy(() => sum(mul(f(x), r)).backward(perSample ? { perSample } : {}));
  const out: Float32Array[] = [];
  for (const p of params) {
    assert.ok(p.grad, `no gradient reached ${p}`);
    const expected = perSample ? [perSample, ...p.shape] : [...p.shape];
    assert.equal([...p.grad.shape], expected, `gradient of ${p}`);
    out.push(await p.grad.data());
    p.grad.dispose();
    p.grad = null;
  }
  return out;
}

/**
 * Asserts that the per-sample gradients of L = sum(f(x) * r) equal the
 * gradients of the N batch-of-one losses, and sum to the batch gradient.
 */
async function checkPerSample(name: string, params: readonly Tensor[], f: (x: Tensor) => Tensor, x: Tensor): Promise<void> {
  const n = x.shape[0]!;
  const r = tidy(() => randn(f(x).shape, { rng }));
  const perSample = await gradients(params, f, x, r, n);
  const batch = await gradients(params, f, x, r);
  for (let i = 0; i < n; i++) {
    const [xi, ri] = [sample(x, i), sample(r, i)];
    const single = await gradients(params, f, xi, ri);
    params.forEach((p, k) => {
      const slot = perSample[k]!.subarray(i * p.size, (i + 1) * p.size);
      const error = relativeError(slot, single[k]!);
      assert.ok(error < 1e-5, `${name}: sample ${i}, parameter ${k} [${p.shape}]: relative error ${error.toExponential(2)}`);
    });
    xi.dispose();
    ri.dispose();
  }
  params.forEach((p, k) => {
    const summed = new Float64Array(p.size);
    for (let i = 0; i < n; i++) for (let j = 0; j < p.size; j++) summed[j] += perSample[k]![i * p.size + j]!;
    const error = relativeError(summed, batch[k]!);
    assert.ok(error < 1e-5, `${name}: per-sample gradients of parameter ${k} do not sum to the batch gradient (${error.toExponential(2)})`);
  });
  r.dispose();
}

function param(shape: number[]): Tensor {
  return randn(shape, { rng, requiresGrad: true });
}

test('conv2d k3 s2 reflect, weight and bias, N=3', async () => {
  const [w, b] = [param([4, 2, 3, 3]), param([4])];
  await checkPerSample('conv2d', [w, b], (x) => tanh(conv2d(x, w, b, { stride: 2, padding: 1, padMode: 'reflect' })), randn([3, 2, 6, 6], { rng }));
});

test('convTranspose2d k4 s2 p1, weight and bias, N=3', async () => {
  const [w, b] = [param([2, 3, 4, 4]), param([3])];
  await checkPerSample('convTranspose2d', [w, b], (x) => tanh(convTranspose2d(x, w, b, { stride: 2, padding: 1 })), randn([3, 2, 3, 3], { rng }));
});

test('conv2d and convTranspose2d with a fused activation, weight and bias, N=3', async () => {
  const [w, b] = [param([4, 2, 3, 3]), param([4])];
  await checkPerSample('conv2d leakyRelu', [w, b], (x) => conv2d(x, w, b, { padding: 1, activation: 'leakyRelu', slope: 0.2 }), randn([3, 2, 5, 5], { rng }));
  const [wt, bt] = [param([2, 3, 4, 4]), param([3])];
  await checkPerSample('convTranspose2d tanh', [wt, bt], (x) => convTranspose2d(x, wt, bt, { stride: 2, padding: 1, activation: 'tanh' }), randn([3, 2, 3, 3], { rng }));
});

test('linear, weight and bias, N=4', async () => {
  const [w, b] = [param([3, 5]), param([3])];
  await checkPerSample('linear', [w, b], (x) => tanh(linear(x, w, b)), randn([4, 5], { rng }));
});

test('instanceNorm and layerNorm affine parameters (broadcast mul and add), N=3', async () => {
  const [w, b] = [param([2]), param([2])];
  const x = randn([3, 2, 4, 4], { rng });
  await checkPerSample('instanceNorm', [w, b], (t) => tanh(instanceNorm(t, { weight: w, bias: b })), x);
  await checkPerSample('layerNorm', [w, b], (t) => tanh(layerNorm(t, { weight: w, bias: b })), x);
});

test('a small network of nn modules, every parameter, N=3', async () => {
  const body = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, padMode: 'reflect' }),
    new nn.InstanceNorm2d(4, { affine: true }),
    nn.LeakyReLU(0.2),
    new nn.ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1 }),
    nn.Tanh(),
  );
  const head = new nn.Linear(2 * 8 * 8, 3);
  const f = (x: Tensor) => head.forward(reshape(body.forward(x), [x.shape[0]!, -1]));
  await checkPerSample('network', [...body.parameters(), ...head.parameters()], f, randn([3, 1, 4, 4], { rng }));
});

test('a batch of one: every parameter gradient is [1, ...shape], single output channels included', async () => {
  // One output channel makes weight [1, ...] and bias [1]: shapes that also look batch-aligned.
  const conv = new nn.Conv2d(2, 1, 3, { padding: 1 });
  const norm = new nn.InstanceNorm2d(1, { affine: true });
  const head = new nn.Linear(16, 1);
  const f = (x: Tensor) => head.forward(reshape(norm.forward(conv.forward(x)), [x.shape[0]!, -1]));
  const params = [...conv.parameters(), ...norm.parameters(), ...head.parameters()];
  await checkPerSample('batch of one', params, f, randn([1, 2, 4, 4], { rng }));
  const wide = new nn.InstanceNorm2d(3, { affine: true });
  await checkPerSample('batch of one, 3 channels', wide.parameters(), (x) => tanh(wide.forward(x)), randn([1, 3, 4, 4], { rng }));
});

test('an input that wants a gradient keeps its ordinary [N, ...] gradient', async () => {
  const w = param([3, 2, 3, 3]);
  const x = randn([2, 2, 5, 5], { rng, requiresGrad: true });
  tidy(() => sum(conv2d(x, w, undefined, { padding: 1 })).backward({ perSample: 2 }));
  assert.equal([...x.grad!.shape], [2, 2, 5, 5]);
  assert.equal([...w.grad!.shape], [2, 3, 2, 3, 3]);
});

test('a parameter reached through an op without per-sample support is an error, not a batch gradient', () => {
  const w = param([5, 3]);
  assert.throws(() => tidy(() => sum(matmul(randn([4, 5], { rng }), w)).backward({ perSample: 4 })), /per-sample gradient of shape \[5,3\]/);
});

test.run();
