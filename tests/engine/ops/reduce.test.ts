/** engine/ops/reduce.ts: sums and means over axis sets, against PyTorch fixtures, explicit loops and finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mean, randn, Rng, sum } from '../../../engine/index.js';
import { checkOpCase, loadOpCases } from '../../helpers/fixtures.js';
import { gradCheck } from '../../helpers/gradcheck.js';

for (const c of loadOpCases('reduce')) {
  test(`${c.name} matches PyTorch`, async () => {
    const reduce = c.op === 'sum' ? sum : mean;
    await checkOpCase(c, ({ x }) => reduce(x!, c.options.axes as number[] | undefined, c.options.keepDims as boolean | undefined));
  });
}

const rng = new Rng(21);
const shape = [2, 3, 4, 5];
const x = randn(shape, { rng });

/** The sum of x over `axes`, by visiting every element (keep-dims layout). */
function referenceSum(values: Float32Array, axes: readonly number[]): Float64Array {
  const out = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const result = new Float64Array(out.reduce((p, q) => p * q, 1));
  let flat = 0;
  for (let a = 0; a < shape[0]!; a++)
    for (let b = 0; b < shape[1]!; b++)
      for (let c = 0; c < shape[2]!; c++)
        for (let d = 0; d < shape[3]!; d++) {
          const idx = [a, b, c, d].map((v, i) => (axes.includes(i) ? 0 : v));
          result[((idx[0]! * out[1]! + idx[1]!) * out[2]! + idx[2]!) * out[3]! + idx[3]!] += values[flat++]!;
        }
  return result;
}

const axisSets: number[][] = [[0], [1], [3], [2, 3], [0, 2, 3], [0, 2], [1, 3], [0, 1, 2, 3]];

for (const axes of axisSets) {
  test(`sum and mean over [${axes}] of [${shape}], keepDims both ways`, async () => {
    const expected = referenceSum(await x.data(), axes);
    const count = axes.reduce((n, a) => n * shape[a]!, 1);
    for (const keepDims of [true, false]) {
      const s = sum(x, axes, keepDims);
      const m = mean(x, axes, keepDims);
      const outShape = keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
      assert.equal([...s.shape], outShape);
      assert.equal([...m.shape], outShape);
      const sv = await s.data();
      const mv = await m.data();
      expected.forEach((e, i) => {
        assert.ok(Math.abs(sv[i]! - e) <= 1e-5 * Math.max(1, Math.abs(e)), `sum[${i}] = ${sv[i]}, expected ${e}`);
        assert.ok(Math.abs(mv[i]! - e / count) <= 1e-6 * Math.max(1, Math.abs(e / count)), `mean[${i}]`);
      });
    }
  });

  test(`sum and mean over [${axes}] gradient`, async () => {
    await gradCheck(`sum [${axes}]`, (t) => sum(t!, axes), [x]);
    await gradCheck(`mean [${axes}] keepDims`, (t) => mean(t!, axes, true), [x]);
  });
}

test('sum and mean over all axes by default give a scalar', async () => {
  const total = [...(await x.data())].reduce((p, q) => p + q, 0);
  assert.equal([...sum(x).shape], []);
  assert.ok(Math.abs((await sum(x).item()) - total) < 1e-4);
  assert.ok(Math.abs((await mean(x).item()) - total / x.size) < 1e-6);
  await gradCheck('mean()', (t) => mean(t!), [x]);
});

test('negative axes count from the end; repeated axes count once', async () => {
  assert.equal([...(await sum(x, [-1, -2]).data())], [...(await sum(x, [2, 3]).data())]);
  assert.equal([...(await sum(x, [3, 3, -1]).data())], [...(await sum(x, 3).data())]);
});

test('sum over no axes is the identity', async () => {
  const s = sum(x, []);
  assert.equal([...s.shape], shape);
  assert.equal([...(await s.data())], [...(await x.data())]);
  await gradCheck('sum []', (t) => sum(t!, []), [x]);
});

test('an axis out of range is an error', () => {
  assert.throws(() => sum(x, 4), /^sum: axis 4 is out of range for .*\[2, 3, 4, 5\]$/);
  assert.throws(() => mean(x, [-5]), /^mean: axis -5 is out of range/);
  assert.throws(() => sum(x, [0.5]), /^sum: axis 0.5 is out of range/);
});

test.run();
