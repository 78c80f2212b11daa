/** engine/ops/linear.ts: linear and matmul against PyTorch fixtures and finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linear, matmul, randn, Rng } from '../../../engine/index.js';
import { checkOpCase, loadOpCases } from '../../helpers/fixtures.js';
import { gradCheck } from '../../helpers/gradcheck.js';

for (const c of loadOpCases('linear')) {
  test(`${c.name} matches PyTorch`, async () => {
    await checkOpCase(c, ({ x, w, b, a }) => (c.op === 'linear' ? linear(x!, w!, b) : matmul(a!, b!)));
  });
}

const rng = new Rng(51);

test('linear x=[3,5] w=[4,5] gradient, with and without bias', async () => {
  const x = randn([3, 5], { rng });
  const w = randn([4, 5], { rng });
  const b = randn([4], { rng });
  await gradCheck('linear', (xs, ws, bs) => linear(xs!, ws!, bs), [x, w, b]);
  await gradCheck('linear no bias', (xs, ws) => linear(xs!, ws!), [x, w]);
});

test('matmul [4,3] x [3,6] gradient', async () => {
  await gradCheck('matmul', (p, q) => matmul(p!, q!), [randn([4, 3], { rng }), randn([3, 6], { rng })]);
});

test('mismatched shapes are errors', () => {
  assert.throws(() => linear(randn([3, 5]), randn([4, 6])), /linear: input .* does not fit weight/);
  assert.throws(() => linear(randn([3, 5]), randn([4, 5]), randn([5])), /bias .* should be \[4\]/);
  assert.throws(() => matmul(randn([3, 5]), randn([4, 5])), /cannot multiply/);
});

test.run();
