/**
 * instanceNorm's kernels (one forward, one backward) on js, wasm and webgpu:
 * PyTorch's fixtures (forward and every input's gradient), and the unfused
 * composition of element-wise ops and reductions it replaced: output, input
 * gradient, and the affine parameters' gradients, plain and per sample; with
 * an activation in the norm's pass, the activation op applied after it.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { add, div, instanceNorm, keep, leakyRelu, mean, mul, randn, relu, reshape, Rng, sqrt, square, sub, sum, tanh, tidy, type ActivationOptions, type Tensor } from '../../engine/index.js';
import { assertTensorsClose, everyBackend, testOn } from '../helpers/backends.js';
import { activationOptions, checkOpCase, loadOpCases } from '../helpers/fixtures.js';

/** torch.nn.functional.instance_norm as the engine composed it before its kernels. */
function unfusedInstanceNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const centred = sub(x, mean(x, [2, 3], true));
  const normalised = div(centred, sqrt(add(mean(square(centred), [2, 3], true), eps)));
  const c = x.shape[1]!;
  return add(mul(normalised, reshape(weight, [1, c, 1, 1])), reshape(bias, [1, c, 1, 1]));
}

/** The output and the gradients of x, weight and bias of sum(norm(x) * r), per sample or not. */
function run(norm: typeof unfusedInstanceNorm, shape: number[], perSample: boolean, seed: number): Tensor[] {
  const rng = new Rng(seed);
  const x = randn(shape, { rng, requiresGrad: true });
  const weight = randn([shape[1]!], { rng, requiresGrad: true });
  const bias = randn([shape[1]!], { rng, requiresGrad: true });
  const r = randn(shape, { rng });
  const y = tidy(() => {
    const out = norm(x, weight, bias, 1e-5);
    sum(mul(out, r)).backward(perSample ? { perSample: shape[0]! } : {});
    return out.alias();
  });
  const results = [y, x.grad!, weight.grad!, bias.grad!].map((t) => keep(t.alias()));
  for (const t of [x, weight, bias, r, y]) t.dispose();
  return results;
}

const fused = (x: Tensor, weight: Tensor, bias: Tensor, eps: number) => instanceNorm(x, { weight, bias, eps });
const shapes = [
  [2, 3, 5, 7], // planes smaller than a SIMD width multiple and than a workgroup
  [2, 3, 70, 90], // planes larger than a workgroup, enough values for wasm's threads
];

/** Activations the norm applies in its own pass, and the op each equals. */
const activations: { options: ActivationOptions; apply: (y: Tensor) => Tensor }[] = [
  { options: { activation: 'relu' }, apply: relu },
  { options: { activation: 'leakyRelu', slope: 0.2 }, apply: (y) => leakyRelu(y, 0.2) },
  { options: { activation: 'tanh' }, apply: tanh },
];

for (const backend of everyBackend) {
  for (const c of loadOpCases('norm').filter((c) => c.op === 'instanceNorm')) {
    testOn(backend, `${c.name} matches PyTorch, forward and backward`, () =>
      checkOpCase(c, ({ x, weight, bias }) => instanceNorm(x!, { weight, bias, eps: c.options.eps as number, ...activationOptions(c) })),
    );
  }
  for (const shape of shapes) {
    for (const perSample of [false, true]) {
      testOn(backend, `[${shape}]${perSample ? ', per sample' : ''}: equals the unfused composition (output, dx, dweight, dbias)`, async () => {
        const expected = run(unfusedInstanceNorm, shape, perSample, 3);
        const actual = run(fused, shape, perSample, 3);
        for (const [i, what] of ['output', 'dx', 'dweight', 'dbias'].entries()) await assertTensorsClose(actual[i]!, expected[i]!, what);
        for (const t of [...expected, ...actual]) t.dispose();
      });
    }
  }
  for (const { options, apply } of activations) {
    const shape = shapes[1]!;
    for (const perSample of [false, true]) {
      const label = `${options.activation}${options.slope === undefined ? '' : ` ${options.slope}`}`;
      testOn(backend, `[${shape}] with ${label} in its pass${perSample ? ', per sample' : ''}: equals ${label} of the unfused norm`, async () => {
        const expected = run((x, w, b, eps) => apply(unfusedInstanceNorm(x, w, b, eps)), shape, perSample, 5);
        const actual = run((x, weight, bias, eps) => instanceNorm(x, { weight, bias, eps, ...options }), shape, perSample, 5);
        for (const [i, what] of ['output', 'dx', 'dweight', 'dbias'].entries()) await assertTensorsClose(actual[i]!, expected[i]!, what);
        for (const t of [...expected, ...actual]) t.dispose();
      });
    }
  }
}

test('instanceNorm without affine parameters: planes of mean 0 and biased variance 1, gradient through x', async () => {
  const x = randn([1, 2, 3, 3], { rng: new Rng(4), requiresGrad: true });
  const y = instanceNorm(x, { eps: 0 });
  const values = await y.data();
  for (let p = 0; p < 2; p++) {
    const plane = values.slice(9 * p, 9 * p + 9);
    const m = plane.reduce((a, b) => a + b, 0) / 9;
    assert.ok(Math.abs(m) < 1e-6 && Math.abs(plane.reduce((a, b) => a + b * b, 0) / 9 - 1) < 1e-5, `plane ${p}`);
  }
  sum(square(y)).backward(); // sum of squares is 2 * 9 whatever x is: its gradient is zero
  (await x.grad!.data()).forEach((v, i) => assert.ok(Math.abs(v) < 1e-5, `dx[${i}] = ${v}`));
  y.dispose();
  x.dispose();
});

test.run();
