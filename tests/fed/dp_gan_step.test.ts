/**
 * DP-SGD over a whole GAN step: the discriminators' gradients are sanitised
 * as the generators' are (their per-sample step equals the naive loop of
 * batch-of-one passes), the two groups clipped to shares of C^2 bound each
 * unit's joint gradient by C, and an empty Poisson sample moves both groups.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keep, manualSeed, randn, Rng, slice, type Tensor } from '../../engine/index.js';
import { BatchLoader, buildItems, phantomDataset, type EmptyBatch } from '../../data/index.js';
import { Client } from '../../fed/client.js';
import { dpSgdStepOptions, sanitisePerSampleGradients } from '../../fed/dp/dpsgd.js';
import { createModel, type Batch, type ModelName } from '../../models/index.js';
import { assertClose, naiveDpSgd, type NaiveCase } from './dp_naive.js';

function randomImages(n: number, size: number): Tensor {
  return keep(randn([n, 1, size, size]));
}

function sample(x: Tensor, i: number): Tensor {
  const [, c, h, w] = x.shape as number[];
  return slice(x, [i, 0, 0, 0], [1, c!, h!, w!]);
}

function disposeAll(tensors: Iterable<Tensor>): void {
  for (const t of tensors) t.dispose();
}

/** The discriminators' sanitised gradients the fast way (one per-sample pass) against the naive loop, for one model and case. */
async function assertDiscriminatorStepMatchesNaive(name: ModelName, width: number, size: number, c: NaiveCase): Promise<void> {
  manualSeed(5);
  const model = createModel(name, { width, size, seed: 4 });
  const batch: Batch = { a: randomImages(c.n, size), b: randomImages(c.n, size) };
  const fakes: Batch = { a: randomImages(c.n, size), b: randomImages(c.n, size) };
  const params = model.discriminatorParameters().map(([, p]) => p);
  disposeAll(Object.values(model.discriminatorBackward(batch, fakes, { perSample: true })));
  sanitisePerSampleGradients(params, { clip: c.clip, share: c.share, noise: c.noise, rng: new Rng(11), expectedBatch: c.expectedBatch, units: c.units }).dispose();
  const fast = await Promise.all(params.map((p) => p.grad!.data()));
  for (const p of params) p.grad = (p.grad?.dispose(), null);
  const backwardOne = (i: number) => {
    const one = { a: sample(batch.a, i), b: sample(batch.b, i) };
    const oneFake = { a: sample(fakes.a, i), b: sample(fakes.b, i) };
    disposeAll(Object.values(model.discriminatorBackward(one, oneFake)));
    disposeAll([one.a, one.b, oneFake.a, oneFake.b]);
  };
  const naive = await naiveDpSgd(params, backwardOne, c, 11);
  assertClose(fast, naive.grads, `${name}, n ${c.n}`);
  disposeAll([batch.a, batch.b, fakes.a, fakes.b]);
  model.dispose();
}

test("the discriminators' sanitised step equals batch-of-one passes clipped to C sqrt(share), summed and noised, for every kind of discriminator", async () => {
  const models: [ModelName, number, number][] = [['cyclegan', 2, 32], ['munit', 2, 64], ['hlhgan', 2, 32], ['hypergan', 2, 16]];
  for (const [name, width, size] of models) {
    // A Poisson batch of 3 against an expected 2, and a batch of one; C small enough that every sample is clipped.
    await assertDiscriminatorStepMatchesNaive(name, width, size, { n: 3, clip: 0.05, share: 0.5, noise: 1.07, expectedBatch: 2 });
    await assertDiscriminatorStepMatchesNaive(name, width, size, { n: 1, clip: 0.05, share: 0.5, noise: 1.07, expectedBatch: 2 });
  }
  // Subjects: slices 0 and 2 are one subject's, summed before clipping.
  await assertDiscriminatorStepMatchesNaive('cyclegan', 2, 32, { n: 3, clip: 0.05, share: 0.3, noise: 0.8, expectedBatch: 2, units: [0, 1, 0] });
});

test("grouped clipping: a unit's generator and discriminator gradients together have norm at most C, split as the shares say", async () => {
  manualSeed(6);
  const size = 32;
  for (const [clip, generatorShare] of [[1e-3, 0.5], [1e-3, 0.8], [50, 0.5]] as const) {
    const model = createModel('cyclegan', { width: 2, size, seed: 4 });
    const batch: Batch = { a: randomImages(1, size), b: randomImages(1, size) };
    // No noise and a batch of one: what is left is the unit's clipped gradient.
    const options = dpSgdStepOptions({ clip, noise: 0, rng: new Rng(1), expectedBatch: 1, generatorShare });
    const pass = model.generatorBackward(batch, options);
    options.generatorGradients!(model.generatorParameters());
    disposeAll(Object.values(model.discriminatorBackward(batch, pass.fakes, options)));
    options.discriminatorGradients!(model.discriminatorParameters());
    const squaredNorm = async (params: [string, Tensor][]) => {
      let s = 0;
      for (const [, p] of params) for (const v of await p.grad!.data()) s += v * v;
      return s;
    };
    const g = await squaredNorm(model.generatorParameters());
    const d = await squaredNorm(model.discriminatorParameters());
    assert.ok(Math.sqrt(g + d) <= clip * (1 + 1e-4), `C ${clip}: joint norm ${Math.sqrt(g + d)}`);
    if (clip < 1) {
      // Both groups clipped: each holds exactly its share of C^2.
      assert.ok(Math.abs(g / clip ** 2 - generatorShare) < 1e-3 && Math.abs(d / clip ** 2 - (1 - generatorShare)) < 1e-3, `shares ${g / clip ** 2}, ${d / clip ** 2}`);
    }
    disposeAll([...Object.values(pass.losses), pass.fakes.a, pass.fakes.b, batch.a, batch.b]);
    model.dispose();
  }
});

test('an empty Poisson sample moves generators and discriminators by a noise-only Adam step', async () => {
  const data = phantomDataset({ subjects: 2, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
  const loader = new BatchLoader(buildItems(data.subjects, { seed: 1 }), { source: 'PD', target: 'T2', batchSize: 2, seed: 1 });
  // A test double of the sampler: one step that drew nobody.
  loader.poissonEpoch = function* (): Generator<EmptyBatch> {
    yield { a: null, b: null, items: [] };
  };
  const lr = 0.01;
  const client = new Client('client1', loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed: 3, lr, noise }), 1, { mechanism: 'dp-sgd', clip: 1, noise: 1.1, sensitivity: 2, randomness: 'seeded' });
  const read = (params: [string, Tensor][]) => Promise.all(params.map(([, p]) => p.data()));
  const before = { g: await read(client.model.generatorParameters()), d: await read(client.model.discriminatorParameters()) };
  const result = await client.trainEpoch(0);
  assert.equal(result.losses, {});
  const after = { g: await read(client.model.generatorParameters()), d: await read(client.model.discriminatorParameters()) };
  for (const group of ['g', 'd'] as const) {
    // Adam's first step moves every coordinate by lr |g| / (|g| + eps): lr, but for the rare noise draw within a few eps of 0.
    const moves = before[group].flatMap((b, k) => Array.from(b, (v, j) => Math.abs(after[group][k]![j]! - v)));
    assert.ok(moves.every((m) => m > 0 && m < lr + 1e-6), `${group}: every coordinate moved, by at most lr`);
    assert.ok(moves.filter((m) => Math.abs(m - lr) < 1e-4).length > 0.999 * moves.length, `${group}: moved by lr`);
  }
  assert.is(client.model.generatorOptimizer.stepCount, 1);
  assert.is(client.model.discriminatorOptimizer.stepCount, 1);
  client.dispose();
});

test('a per-sample step without a discriminator hook is refused', async () => {
  const model = createModel('cyclegan', { width: 2, size: 32 });
  const batch: Batch = { a: randomImages(1, 32), b: randomImages(1, 32) };
  const refused = await model.trainStep(batch, { perSample: true, generatorGradients: () => {} }).then(() => null, (e: Error) => e.message);
  assert.match(refused ?? '', /discriminatorGradients/);
  disposeAll([batch.a, batch.b]);
  model.dispose();
});

test.run();
