/** engine/rng.ts and the random creation ops: seeded, reproducible, with the right distributions. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { full, manualSeed, ones, rand, randn, Rng, tensor, zeros } from '../../engine/index.js';

test('the same seed gives the same numbers; another seed does not', async () => {
  manualSeed(42);
  const a = await randn([100]).data();
  manualSeed(42);
  const b = await randn([100]).data();
  manualSeed(43);
  const c = await randn([100]).data();
  assert.equal([...a], [...b]);
  assert.ok(a.some((v, i) => v !== c[i]));
  assert.equal([...(await rand([5], { rng: new Rng(7) }).data())], [...(await rand([5], { rng: new Rng(7) }).data())]);
});

test('uniform values are in [0, 1) and evenly spread (chi-square over 20 bins)', () => {
  const rng = new Rng(1);
  const bins = new Array<number>(20).fill(0);
  const n = 100000;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    bins[Math.floor(u * 20)]!++;
  }
  const expected = n / 20;
  const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 43.8, `chi-square ${chi2.toFixed(1)} with 19 degrees of freedom (p < 0.001 above 43.8)`);
});

test('normal values have mean 0, variance 1 and normal tails', () => {
  const rng = new Rng(2);
  const n = 100000;
  let sum = 0;
  let squares = 0;
  let beyond2 = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    squares += z * z;
    if (Math.abs(z) > 2) beyond2++;
  }
  const mean = sum / n;
  const variance = squares / n - mean * mean;
  assert.ok(Math.abs(mean) < 0.015, `mean ${mean}`); // 4.7 standard errors
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  assert.ok(Math.abs(beyond2 / n - 0.0455) < 0.003, `P(|z| > 2) = ${beyond2 / n}`);
});

test('int(n) covers [0, n) and shuffle permutes', () => {
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(rng.int(7));
  assert.equal([...seen].sort(), [0, 1, 2, 3, 4, 5, 6]);
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = rng.shuffle([...items]);
  assert.equal([...shuffled].sort((p, q) => p - q), items);
  assert.not.equal(shuffled, items);
});

test('rand honours low and high; creation ops fill and check sizes', async () => {
  const values = await rand([1000], { low: -3, high: -1 }).data();
  assert.ok(values.every((v) => v >= -3 && v < -1));
  assert.equal([...(await full([2], 2.5).data())], [2.5, 2.5]);
  assert.equal([...(await zeros([2]).data())], [0, 0]);
  assert.equal([...(await ones([2]).data())], [1, 1]);
  assert.ok(randn([2], { requiresGrad: true }).requiresGrad);
  assert.throws(() => tensor([1, 2, 3], [2, 2]), /3 values cannot have shape \[2,2\]/);
  assert.throws(() => zeros([2, -1]), /bad shape/);
});

test('fillNormal gives the values of as many normal() calls, whatever the spare and the parity', () => {
  for (const [skip, count] of [[0, 7], [1, 7], [1, 8], [0, 1], [3, 0]] as const) {
    const bulk = new Rng(21);
    const one = new Rng(21);
    for (let i = 0; i < skip; i++) assert.is(bulk.normal(), one.normal());
    const filled = bulk.fillNormal(new Float32Array(count));
    const called = Float32Array.from({ length: count }, () => one.normal());
    assert.equal([...filled], [...called], `skip ${skip}, count ${count}`);
    assert.is(bulk.normal(), one.normal(), 'and the streams stay together');
  }
});

test.run();
