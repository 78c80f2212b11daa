/**
 * The GanModel contract beyond training: createModel's options and errors,
 * translate(), and what federation relies on: generator weights replaced in
 * place keep the model's Adam state.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, div, keep, memory, mseLoss, mul, randn, Rng, tidy, type Tensor } from '../../engine/index.js';
import { AveragedDiscriminator, createModel, modelNames, resolveOptions, type LossWeights, type ModelName, type ModelOptions } from '../../models/index.js';

test('defaults are the paper\'s (DESIGN.md, "The reference code", Hyper-parameters)', () => {
  const o = resolveOptions({});
  assert.equal([o.width, o.size, o.seed, o.lr, [...o.betas], o.identity], [64, 256, 3, 1e-4, [0.5, 0.999], 'standard']);
  assert.equal(o.weights, { gan: 1, cycle: 10, identity: 5, recon: 10, kl: 0.1, style: 1, content: 1, contrast: 1, common: 0.5 });
  assert.is(resolveOptions({ identity: 'reference' }).weights.identity, 10);
  assert.is(resolveOptions({ identity: 'standard', weights: { cycle: 4 } }).weights.identity, 2, 'standard identity is half the cycle weight');
});

test('createModel refuses bad names, widths and sizes with one line saying what', () => {
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  assert.match(refusal(() => createModel('pix2pix' as ModelName)), /unknown model 'pix2pix'; choose one of cyclegan, cyclegan-resnet, unit, munit, hlhgan, hypergan/);
  assert.match(refusal(() => createModel('unit', { width: 0, size: 32 })), /width must be a whole number >= 1, got 0/);
  assert.match(refusal(() => createModel('cyclegan', { width: 2, size: 48 })), /cyclegan needs a size that is a multiple of 32 and at least 32, got 48/);
  assert.match(refusal(() => createModel('munit', { width: 2, size: 32 })), /munit needs a size that is a multiple of 4 and at least 64, got 32/);
});

test('createModel refuses a bad identity, loss weight or seed with one line naming the option', () => {
  const cases: [ModelOptions, RegExp][] = [
    [{ identity: 'bogus' as 'standard' }, /^createModel: identity must be one of standard, reference, got 'bogus'$/],
    [{ weights: { gan: Number.NaN } }, /^createModel: loss weight gan must be finite and >= 0, got NaN$/],
    [{ weights: { cycle: -3 } }, /^createModel: loss weight cycle must be finite and >= 0, got -3$/],
    [{ weights: { kl: Infinity } }, /^createModel: loss weight kl must be finite and >= 0, got Infinity$/],
    [{ weights: { cylce: 3 } as Partial<LossWeights> }, /^createModel: unknown loss weight 'cylce'; choose from gan, cycle, identity/],
    [{ seed: -1 }, /^createModel: seed must be a whole number in \[0, 2\^32\), got -1$/],
    [{ seed: 1.5 }, /^createModel: seed must be a whole number in \[0, 2\^32\), got 1.5$/],
    [{ seed: 2 ** 32 }, /^createModel: seed must be a whole number in \[0, 2\^32\), got 4294967296$/],
  ];
  for (const [options, expected] of cases) {
    for (const name of ['cyclegan', 'unit'] as const) assert.throws(() => createModel(name, { width: 2, size: 32, ...options }), expected, JSON.stringify(options));
  }
  // The edges of each range are accepted.
  const edge = createModel('unit', { width: 2, size: 32, identity: 'reference', seed: 0xffffffff, weights: { gan: 0, kl: 0 } });
  assert.equal([edge.options.identity, edge.options.seed, edge.options.weights.gan], ['reference', 0xffffffff, 0]);
  edge.dispose();
});

test('a batch of the wrong shape is refused, naming the tensor', async () => {
  const model = createModel('unit', { width: 2, size: 32 });
  const a = randn([2, 1, 32, 32]);
  const b = randn([2, 1, 16, 16]);
  const message = await model.trainStep({ a, b }).then(() => 'accepted', (e: Error) => e.message);
  assert.is(message, 'unit.generatorBackward: batch.b is [2,1,16,16], expected [2, 1, 32, 32] like batch.a');
  for (const t of [a, b]) t.dispose();
  model.dispose();
});

for (const name of modelNames) {
  test(`${name}: translate keeps the shape, records no tape, is deterministic and leaves nothing behind`, async () => {
    const size = name === 'munit' ? 64 : 32;
    const model = createModel(name, { width: 2, size });
    const x = randn([2, 1, size, size]);
    const before = memory().tensors;
    const y1 = model.translate(x, 'a2b');
    const y2 = model.translate(x, 'a2b');
    const back = model.translate(x, 'b2a');
    assert.equal([...y1.shape], [2, 1, size, size]);
    assert.is(y1.requiresGrad, false);
    assert.equal([...(await y1.data())], [...(await y2.data())]);
    assert.not.equal([...(await y1.data())], [...(await back.data())], 'the two directions are different networks');
    assert.ok([...(await y1.data())].every((v) => v > -1 && v < 1), 'tanh range');
    assert.is(memory().tensors, before + 3);
    assert.throws(() => model.translate(x, 'ab' as 'a2b'), /direction must be 'a2b' or 'b2a'/);
    for (const t of [x, y1, y2, back]) t.dispose();
    model.dispose();
  });
}

test('replacing generator weights in place (federation) keeps Adam state and trains on', async () => {
  const client = createModel('cyclegan', { width: 2, size: 32, seed: 3 });
  const server = createModel('cyclegan', { width: 2, size: 32, seed: 9 });
  const batch = { a: keep(randn([2, 1, 32, 32], { rng: new Rng(1) })), b: keep(randn([2, 1, 32, 32], { rng: new Rng(2) })) };
  await client.trainStep(batch);
  const moments = async () => Promise.all(client.generatorOptimizer.state().map(async ({ m, v }) => [await m.data(), await v.data()]));
  const before = await moments();
  const live = memory().tensors;
  for (const [role, network] of Object.entries(server.generators())) client.generators()[role]!.loadStateDict(await network.stateDict());
  const serverValues = await Promise.all(server.generatorParameters().map(([, p]) => p.data()));
  const clientValues = await Promise.all(client.generatorParameters().map(([, p]) => p.data()));
  assert.equal(clientValues, serverValues, 'the client holds the server generators');
  assert.equal(await moments(), before, 'Adam moments untouched');
  assert.is(memory().tensors, live);
  assert.is(client.generatorOptimizer.params[0], client.generatorParameters()[0]![1], 'Adam still updates the model tensors');
  const losses = await client.trainStep(batch);
  assert.ok(Number.isFinite(losses.generator!));
  assert.not.equal(await client.generatorParameters()[0]![1].data(), serverValues[0], 'the step moved the replaced weights');
  for (const t of [batch.a, batch.b] as Tensor[]) t.dispose();
  client.dispose();
  server.dispose();
});

test('cyclegan with 3 averaged discriminators: each D is three CycleGAN heads, initialised apart, whose scores are averaged in the loss', async () => {
  const model = createModel('cyclegan', { width: 2, size: 32, discriminators: 3 });
  const single = createModel('cyclegan', { width: 2, size: 32 });
  const dA = model.discriminators().discriminatorA as AveragedDiscriminator;
  assert.instance(dA, AveragedDiscriminator);
  assert.is(dA.parameterCount(), 3 * single.discriminators().discriminatorA!.parameterCount());
  assert.equal(dA.namedParameters().map(([n]) => n.split('.').slice(0, 2).join('.')).filter((n, i, all) => all.indexOf(n) === i), ['heads.0', 'heads.1', 'heads.2']);
  const firstWeights = await Promise.all(dA.heads.map((h) => h.namedParameters()[0]![1].data()));
  assert.not.equal(firstWeights[0], firstWeights[1], 'each head has its own initial weights');

  const batch = { a: keep(randn([2, 1, 32, 32], { rng: new Rng(1) })), b: keep(randn([2, 1, 32, 32], { rng: new Rng(2) })) };
  const fakes = { a: keep(randn([2, 1, 32, 32], { rng: new Rng(3) })), b: keep(randn([2, 1, 32, 32], { rng: new Rng(4) })) };
  const averaged = (d: Tensor[]) => div(add(add(d[0]!, d[1]!), d[2]!), 3);
  const expected = tidy(() => {
    const dB = model.discriminators().discriminatorB as AveragedDiscriminator;
    const score = (d: AveragedDiscriminator, x: Tensor) => averaged(d.heads.map((h) => h.forward(x)));
    const real = add(mseLoss(score(dA, batch.a), 1), mseLoss(score(dB, batch.b), 1));
    const fake = add(mseLoss(score(dA, fakes.a), 0), mseLoss(score(dB, fakes.b), 0));
    return mul(add(real, fake), 0.5);
  });
  const losses = model.discriminatorBackward(batch, fakes);
  assert.ok(Math.abs((await losses.discriminator!.item()) - (await expected.item())) < 1e-6, 'loss of the averaged scores');
  for (const [name, p] of model.discriminatorParameters()) if (!name.endsWith('bias')) assert.ok(p.grad, `${name} gets a gradient`);
  for (const t of [...Object.values(losses), expected, batch.a, batch.b, fakes.a, fakes.b]) t.dispose();
  model.dispose();
  single.dispose();
  assert.throws(() => createModel('unit', { width: 2, size: 32, discriminators: 2 }), /averaged discriminators \(2\) are CycleGAN's ablation; unit has one per domain/);
  assert.throws(() => createModel('cyclegan', { width: 2, size: 32, discriminators: 1.5 }), /discriminators must be a whole number >= 1, got 1.5/);
});

test('identity weight 0 drops the identity term (and its two generator passes)', async () => {
  const model = createModel('cyclegan', { width: 2, size: 32, weights: { identity: 0 } });
  const batch = { a: randn([1, 1, 32, 32]), b: randn([1, 1, 32, 32]) };
  const losses = await model.trainStep(batch);
  assert.equal(Object.keys(losses).sort(), ['cycle', 'discriminator', 'discriminatorFake', 'discriminatorReal', 'gan', 'generator']);
  assert.ok(Math.abs(losses.generator! - (losses.gan! + 10 * losses.cycle!)) < 1e-5 * losses.generator!);
  batch.a.dispose();
  batch.b.dispose();
  model.dispose();
});

test.run();
