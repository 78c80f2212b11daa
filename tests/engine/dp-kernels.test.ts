/**
 * DP-SGD's kernels on js, wasm and webgpu: perSampleSquaredNorms and
 * clippedSumWithNoise (each over a list of tensors) equal the compositions of element-wise ops,
 * reductions and randomNormal they replace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, clippedSumWithNoise, mul, perSampleSquaredNorms, randn, randomNormal, reshape, Rng, square, sum, tensor, tidy,
} from '../../engine/index.js';
import { assertTensorsClose, everyBackend, testOn } from '../helpers/backends.js';

// Odd sizes (a block of four cut short), and one past wasm's threading threshold.
const shapes = [[3, 5, 7], [3, 11], [3, 40001]];

for (const backend of everyBackend) {
  testOn(backend, 'perSampleSquaredNorms over several tensors equals the sum of their per-sample sums of squares', async () => {
    const rng = new Rng(5);
    const grads = shapes.map((s) => randn(s, { rng }));
    const expected = tidy(() => grads.map((g) => sum(square(g), g.shape.slice(1).map((_, i) => i + 1))).reduce((a, b) => add(a, b)));
    const actual = perSampleSquaredNorms(grads);
    await assertTensorsClose(actual, expected, 'squared norms');
    for (const t of [...grads, expected, actual]) t.dispose();
  });

  testOn(backend, 'clippedSumWithNoise over a list equals, per tensor, the factor-weighted sum plus scaled randomNormal noise (stream counter + k), times the scale', async () => {
    const rng = new Rng(6);
    const factors = randn([3], { rng });
    const perSample = shapes.map((shape) => randn(shape, { rng }));
    const key = { seed: 99, seedHigh: 0x80000001, counter: 5 };
    const options = { noiseStd: 1.3, scale: 0.25, key };
    const actual = clippedSumWithNoise(perSample, factors, options);
    for (const [k, shape] of shapes.entries()) {
      const expected = tidy(() => {
        const summed = sum(mul(perSample[k]!, reshape(factors, [3, ...shape.slice(1).map(() => 1)])), [0]);
        return mul(add(summed, mul(randomNormal(shape.slice(1), { ...key, counter: key.counter + k }), options.noiseStd)), options.scale);
      });
      await assertTensorsClose(actual[k]!, expected, `[${shape}]`);
      expected.dispose();
    }
    for (const t of [...perSample, ...actual, factors]) t.dispose();
  });
}

for (const backend of everyBackend) {
  testOn(backend, "clippedSumWithNoise leaves out a sample whose factor is NaN or 0 (a non-finite gradient's), whatever its gradient holds: the sum is the others' alone", async () => {
    const rng = new Rng(7);
    const key = { seed: 3, seedHigh: 4, counter: 5 };
    const options = { noiseStd: 0.7, scale: 0.5, key };
    for (const [factor, bad] of [[NaN, NaN], [0, Infinity], [NaN, -Infinity]] as const) {
      const values = await randn([3, 37], { rng }).data();
      const without = Float32Array.from(values);
      for (let i = 37; i < 74; i++) without[i] = 0;
      for (let i = 37; i < 74; i += 5) values[i] = bad;
      const factors = Float32Array.of(0.5, factor, 0.25);
      const [actual] = clippedSumWithNoise([tensor(values, [3, 37])], tensor(factors, [3]), options);
      const [expected] = clippedSumWithNoise([tensor(without, [3, 37])], tensor(Float32Array.of(0.5, 0, 0.25), [3]), options);
      const got = await actual!.data();
      assert.ok(got.every(Number.isFinite), `factor ${factor}, gradient ${bad}: not finite`);
      await assertTensorsClose(actual!, expected!, `factor ${factor}, gradient ${bad}`);
    }
  });
}

test('the DP kernels refuse mismatched batches and bad keys', () => {
  const a = randn([2, 3]);
  assert.throws(() => perSampleSquaredNorms([a, randn([3, 3])]), /does not have the batch size 2/);
  assert.throws(() => clippedSumWithNoise([a], randn([3]), { noiseStd: 1, scale: 1, key: { seed: 0, counter: 0 } }), /one factor per sample \(2\)/);
  assert.throws(() => clippedSumWithNoise([a], randn([2]), { noiseStd: 1, scale: 1, key: { seed: -1, counter: 0 } }), /seed must be a whole number/);
});

test.run();
