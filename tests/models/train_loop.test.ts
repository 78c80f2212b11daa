/**
 * trainStep over several steps: every model frees all it allocates (live
 * tensors and backend handles stay flat), both optimizers step, the DP hook
 * sees per-sample gradients, and the same seed gives the same run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { div, keep, memory, randn, Rng, sum, tidy, type Tensor } from '../../engine/index.js';
import { createModel, type Batch, type GanModel, type ModelName } from '../../models/index.js';

const cases: [ModelName, number, number][] = [
  ['cyclegan', 4, 32],
  ['cyclegan-resnet', 4, 32],
  ['unit', 4, 32],
  ['munit', 2, 64],
  ['hlhgan', 4, 32],
  ['hypergan', 2, 16],
];

function randomBatch(n: number, size: number): Batch {
  return { a: keep(randn([n, 1, size, size])), b: keep(randn([n, 1, size, size])) };
}

async function snapshot(params: [string, Tensor][]): Promise<Float32Array[]> {
  return Promise.all(params.map(([, p]) => p.data()));
}

function changed(before: Float32Array[], after: Float32Array[]): number {
  return before.filter((b, i) => b.some((v, j) => v !== after[i]![j])).length;
}

for (const [name, width, size] of cases) {
  test(`${name} w=${width} ${size}x${size}: 3 train steps keep memory flat and update G and D`, async () => {
    const model = createModel(name, { width, size, seed: 3 });
    const batch = randomBatch(2, size);
    const g0 = await snapshot(model.generatorParameters());
    const d0 = await snapshot(model.discriminatorParameters());
    const live: number[] = [];
    const handles: number[] = [];
    for (let step = 0; step < 3; step++) {
      const losses = await model.trainStep(batch);
      for (const [k, v] of Object.entries(losses)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
      assert.ok('generator' in losses && 'discriminator' in losses && 'gan' in losses, Object.keys(losses).join(', '));
      live.push(memory().tensors);
      handles.push(memory().handles);
    }
    assert.equal(live, live.map(() => live[0]), `live tensors per step: ${live}`);
    assert.equal(handles, handles.map(() => handles[0]), `backend handles per step: ${handles}`);
    // A conv bias right before an InstanceNorm has a zero gradient, which Adam may leave in place: count weights.
    const weights = (params: [string, Tensor][]) => params.filter(([n]) => !n.endsWith('bias')).length;
    assert.ok(changed(g0, await snapshot(model.generatorParameters())) >= weights(model.generatorParameters()), 'generator weights moved');
    assert.ok(changed(d0, await snapshot(model.discriminatorParameters())) >= weights(model.discriminatorParameters()), 'discriminator weights moved');
    assert.is(model.generatorOptimizer.stepCount, 3);
    assert.is(model.discriminatorOptimizer.stepCount, 3);
    for (const [, p] of [...model.generatorParameters(), ...model.discriminatorParameters()]) assert.is(p.grad, null, 'gradients freed');
    model.dispose();
    batch.a.dispose();
    batch.b.dispose();
  });
}

test('trainStep with perSample hands [N, ...] gradients to both hooks, which may replace them', async () => {
  const model = createModel('cyclegan', { width: 4, size: 32 });
  const batch = randomBatch(3, 32);
  const seen: number[][] = [];
  const averagePerSample = (params: [string, Tensor][]) => {
    for (const [, p] of params) {
      seen.push([...p.grad!.shape]);
      const mean = keep(tidy(() => div(sum(p.grad!, [0]), p.grad!.shape[0]!)));
      p.grad!.dispose();
      p.grad = mean;
    }
  };
  const hooks = { perSample: true, generatorGradients: averagePerSample, discriminatorGradients: averagePerSample };
  await model.trainStep(batch, hooks);
  const before = memory().tensors;
  await model.trainStep(batch, hooks);
  assert.is(memory().tensors, before);
  const first = model.generatorParameters()[0]![1];
  assert.equal(seen[0], [3, ...first.shape]);
  const firstD = model.discriminatorParameters()[0]![1];
  assert.ok(seen.some((s) => s.length === firstD.rank + 1 && s[0] === 3 && s.slice(1).join() === firstD.shape.join()), 'the discriminator hook sees per-sample gradients');
  const refused = await model.trainStep(batch, { perSample: true }).then(() => null, (e: Error) => e.message);
  assert.match(refused ?? '', /generatorGradients/);
  model.dispose();
  batch.a.dispose();
  batch.b.dispose();
});

test('the discriminatorInput hook sees every image a discriminator judges in the G step, at each scale', () => {
  const sizes: Record<string, number[]> = {};
  for (const [name, width, size] of cases) {
    const model: GanModel = createModel(name, { width, size });
    const batch = randomBatch(1, size);
    const seen: number[] = [];
    const pass = model.generatorBackward(batch, { discriminatorInput: (x) => (seen.push(x.shape[2]!), x) });
    sizes[name] = seen;
    for (const t of [...Object.values(pass.losses), pass.fakes.a, pass.fakes.b, batch.a, batch.b]) t.dispose();
    model.dispose();
  }
  assert.equal(sizes, { cyclegan: [32, 32], 'cyclegan-resnet': [32, 32], unit: [32, 32], munit: [64, 32, 16, 64, 32, 16], hlhgan: [32, 32, 16, 16], hypergan: [16, 16] });
});

test('same seed, same losses; another seed, other losses', async () => {
  const run = async (seed: number) => {
    const model = createModel('unit', { width: 4, size: 32, seed });
    const batch = { a: randn([2, 1, 32, 32], { rng: new Rng(7) }), b: randn([2, 1, 32, 32], { rng: new Rng(8) }) };
    const losses = [await model.trainStep(batch), await model.trainStep(batch)];
    model.dispose();
    batch.a.dispose();
    batch.b.dispose();
    return losses;
  };
  const first = await run(3);
  assert.equal(await run(3), first);
  assert.not.equal((await run(4))[1]!.generator, first[1]!.generator);
});

test.run();
