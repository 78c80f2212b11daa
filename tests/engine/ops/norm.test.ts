/** engine/ops/norm.ts: instanceNorm, MUNIT's layerNorm and adaIn against PyTorch fixtures and finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adaIn, instanceNorm, layerNorm, mean, rand, randn, Rng, square, sub } from '../../../engine/index.js';
import { activationOptions, checkOpCase, loadOpCases } from '../../helpers/fixtures.js';
import { gradCheck } from '../../helpers/gradcheck.js';

for (const c of loadOpCases('norm')) {
  test(`${c.name} matches PyTorch`, async () => {
    const eps = c.options.eps as number;
    await checkOpCase(c, ({ x, weight, bias, mean: m, std }) => {
      if (c.op === 'instanceNorm') return instanceNorm(x!, { weight, bias, eps, ...activationOptions(c) });
      if (c.op === 'layerNorm') return layerNorm(x!, { weight, bias, eps });
      return adaIn(x!, m!, std!, eps);
    });
  });
}

const rng = new Rng(61);
const x = randn([2, 3, 4, 4], { rng });

test('instanceNorm planes have mean 0 and biased variance 1', async () => {
  const y = instanceNorm(x);
  const m = await mean(y, [2, 3]).data();
  const v = await mean(square(sub(y, mean(y, [2, 3], true))), [2, 3]).data();
  m.forEach((value) => assert.ok(Math.abs(value) < 1e-5, `plane mean ${value}`));
  v.forEach((value) => assert.ok(Math.abs(value - 1) < 1e-3, `plane variance ${value}`)); // 1 - eps / variance
});

test('instanceNorm gradient, plain and affine', async () => {
  await gradCheck('instanceNorm', (t) => instanceNorm(t!), [x]);
  const weight = randn([3], { rng });
  const bias = randn([3], { rng });
  await gradCheck('instanceNorm affine', (t, w, b) => instanceNorm(t!, { weight: w, bias: b }), [x, weight, bias]);
});

// Smooth only: finite differences step across relu's kink (tests/engine/instance-norm.test.ts checks
// relu and leakyRelu against the activation ops, on every backend).
test('instanceNorm with tanh in its pass: gradient', async () => {
  const weight = randn([3], { rng });
  const bias = randn([3], { rng });
  await gradCheck('instanceNorm tanh', (t, w, b) => instanceNorm(t!, { weight: w, bias: b, activation: 'tanh' }), [x, weight, bias]);
});

test('layerNorm gradient (MUNIT: unbiased std + eps), batch of 2 and of 1', async () => {
  const gamma = rand([3], { rng });
  const beta = randn([3], { rng });
  await gradCheck('layerNorm', (t, w, b) => layerNorm(t!, { weight: w, bias: b }), [x, gamma, beta]);
  await gradCheck('layerNorm n=1', (t, w, b) => layerNorm(t!, { weight: w, bias: b }), [randn([1, 3, 3, 3], { rng }), gamma, beta]);
});

test('adaIn gradient with [N, C] and [N, C, 1, 1] statistics', async () => {
  await gradCheck('adaIn [N,C]', (t, m, s) => adaIn(t!, m!, s!), [x, randn([2, 3], { rng }), randn([2, 3], { rng })]);
  await gradCheck('adaIn [N,C,1,1]', (t, m, s) => adaIn(t!, m!, s!), [x, randn([2, 3, 1, 1], { rng }), randn([2, 3, 1, 1], { rng })]);
});

test('bad inputs are errors', () => {
  assert.throws(() => instanceNorm(randn([3, 4])), /instanceNorm: needs an NCHW tensor/);
  assert.throws(() => instanceNorm(x, { weight: randn([4]) }), /should have 3 values/);
  assert.throws(() => instanceNorm(x, { activation: 'leakyRelu', slope: -1 }), /instanceNorm: leakyRelu slope must be >= 0/);
  assert.throws(() => adaIn(x, randn([2, 2]), randn([2, 3])), /adaIn: mean .* should have 2x3 values/);
  assert.throws(() => layerNorm(randn([2, 1, 1, 1])), /at least 2 values per sample/);
});

test.run();
