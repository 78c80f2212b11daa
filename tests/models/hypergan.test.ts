/**
 * Hyper-GAN's networks: parameter counts per block as the tables in
 * models/hypergan/networks.ts, forward shapes, the hyper layer equal to a
 * convolution with the filters W(code) = weight[0] + sum_k code_k weight[1+k]
 * and its gradients against finite differences, and the model's contrast
 * handling (any pair of contrasts, batches naming their own pair).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, conv2d, memory, noGrad, randn, reshape, Rng, slice, tensor, tidy, type Tensor } from '../../engine/index.js';
import { ContrastDiscriminator, contrastCodes, createModel, HyperConv2d, HyperGan, HyperGenerator } from '../../models/index.js';
import { gradCheck } from '../helpers/gradcheck.js';
import { assertClose, blockCounts } from './fixture.js';


test('generator w=64: 12,135,558 parameters, per block as the table', () => {
  const g = new HyperGenerator(64);
  assert.is(g.parameterCount(), 12_135_558);
  const counts = blockCounts(g, 2);
  assert.equal(counts, { 'encoder.conv0': 19_200, 'encoder.conv1': 443_136, 'backbone.model': 11_211_648, 'decoder.conv0': 442_752, 'decoder.conv1': 18_822 });
  const backbone = blockCounts(g.backbone, 2);
  assert.is(backbone['model.0'], 295_168);
  assert.is(backbone['model.12'], 295_040);
  for (let i = 3; i <= 11; i++) assert.is(backbone[`model.${i}`], 1_180_160, `residual block ${i}`);
  assert.equal([...g.encoder.conv0.weight.shape], [6, 64, 1, 7, 7], 'the hyper bias row and one filter set per contrast');
  g.dispose();
});

test('discriminator w=64: 670,662 parameters, per layer, with a contrast head of 5 classes', () => {
  const d = new ContrastDiscriminator(64);
  assert.is(d.parameterCount(), 670_662);
  assert.equal(blockCounts(d, 2), { 'model.0': 1_088, 'model.2': 131_200, 'model.5': 524_544, 'adv.weight': 2_304, 'adv.bias': 1, 'cls.weight': 11_520, 'cls.bias': 5 });
  d.dispose();
});

test('forward shapes: generator keeps the image, discriminator gives a patch map and logits', () => {
  const g = new HyperGenerator(4);
  const d = new ContrastDiscriminator(4);
  const before = memory().tensors;
  noGrad(() =>
    tidy(() => {
      const x = randn([3, 1, 32, 24]);
      const y = g.forward(x, contrastCodes([0, 1, 2]), contrastCodes([2, 2, 4]));
      assert.equal([...y.shape], [3, 1, 32, 24]);
      const { adv, logits } = d.both(y);
      assert.equal([...adv.shape], [3, 1, 4, 3]);
      assert.equal([...logits.shape], [3, 5]);
    }),
  );
  assert.is(memory().tensors, before);
  assert.throws(() => g.forward(randn([1, 1, 30, 32]), contrastCodes([0]), contrastCodes([1])), /multiples of 4/);
  assert.throws(() => noGrad(() => g.forward(randn([2, 1, 32, 32]), contrastCodes([0]), contrastCodes([1]))), /needs a code \[2, 5\]/);
  g.dispose();
  d.dispose();
});

test('HyperConv2d with a one-hot code is the convolution with weight[0] + weight[1 + k], per sample', async () => {
  const layer = new HyperConv2d(3, 2, 4, 3, { stride: 2, padding: 1 });
  const x = randn([3, 2, 8, 8], { rng: new Rng(5) });
  const ks = [2, 0, 1];
  const ours = noGrad(() => layer.forward(x, contrastCodes(ks, 3)));
  for (const [n, k] of ks.entries()) {
    const expected = noGrad(() =>
      tidy(() => {
        const row = (j: number) => reshape(slice(layer.weight, [j, 0, 0, 0, 0], [1, 4, 2, 3, 3]), [4, 2, 3, 3]);
        const bias = (j: number) => reshape(slice(layer.bias, [j, 0], [1, 4]), [4]);
        return conv2d(slice(x, [n, 0, 0, 0], [1, 2, 8, 8]), add(row(0), row(1 + k)), add(bias(0), bias(1 + k)), { stride: 2, padding: 1 });
      }),
    );
    const got = noGrad(() => slice(ours, [n, 0, 0, 0], [1, 4, 4, 4]));
    assertClose(await got.data(), await expected.data(), 1e-5, `sample ${n}, contrast ${k}`);
    got.dispose();
    expected.dispose();
  }
  for (const t of [ours, x]) t.dispose();
  layer.dispose();
});

test('HyperConv2d: gradients of input, filter bank, bias bank and code against finite differences', async () => {
  const layer = new HyperConv2d(2, 2, 3, 3, { padding: 1, padMode: 'reflect' });
  const rng = new Rng(8);
  const inputs = [randn([2, 2, 5, 5], { rng }), randn([3, 3, 2, 3, 3], { rng }), randn([3, 3], { rng }), tensor([0.3, -1.2, 0.8, 0.5], [2, 2])];
  // The layer's own forward with its parameters replaced by the checked inputs.
  const apply = (x: Tensor, weight: Tensor, bias: Tensor, code: Tensor) => Object.assign(Object.create(layer) as HyperConv2d, { weight, bias }).forward(x, code);
  await gradCheck('HyperConv2d', apply, inputs);
  for (const t of inputs) t.dispose();
  layer.dispose();
});

test('hypergan: translate between any two contrasts; a2b and b2a are the pair given at creation', async () => {
  const model = createModel('hypergan', { width: 2, size: 16, contrasts: ['T1', 'FLAIR'] }) as HyperGan;
  const x = randn([2, 1, 16, 16]);
  const pairs = [model.translate(x, 'a2b'), model.translateContrasts(x, 't1', 'flair'), model.translate(x, 'b2a'), model.translateContrasts(x, 'FLAIR', 'T1'), model.translateContrasts(x, 'PD', 'T2')];
  const values = await Promise.all(pairs.map((t) => t.data()));
  assert.equal(values[1], values[0]);
  assert.equal(values[3], values[2]);
  assert.not.equal(values[4], values[0]);
  assert.throws(() => model.translateContrasts(x, 'T2', 'T2'), /two different contrasts, got T2 twice/);
  assert.throws(() => model.translateContrasts(x, 'CT', 'T2'), /'CT' is not a contrast/);
  for (const t of [...pairs, x]) t.dispose();
  model.dispose();
  assert.throws(() => createModel('hypergan', { width: 2, size: 16, contrasts: ['PD', 'PD'] }), /hypergan contrasts: a pair of two different contrasts/);
});

test('hypergan: a batch naming its own contrasts trains those codes; the losses include the contrast terms', async () => {
  const model = createModel('hypergan', { width: 2, size: 16 });
  const batch = { a: randn([2, 1, 16, 16]), b: randn([2, 1, 16, 16]) };
  const own = model.generatorBackward(batch);
  const ownLoss = await own.losses.generator!.item();
  model.generatorOptimizer.zeroGrad();
  const other = model.generatorBackward({ ...batch, contrasts: ['T1', 'T1CE'] });
  const row = (name: string) => model.generatorParameters().find(([n]) => n === name)![1].grad!;
  // The decoder's last hyper layer: rows 1 + k of contrasts not in the batch get no gradient.
  const grad = await row('generator.decoder.conv1.weight').data();
  const perRow = grad.length / 6;
  const rowNorm = (j: number) => grad.subarray(j * perRow, (j + 1) * perRow).reduce((s, v) => s + Math.abs(v), 0);
  assert.ok(rowNorm(0) > 0 && rowNorm(1 + 0) > 0 && rowNorm(1 + 4) > 0, 'T1 and T1CE rows learn');
  assert.is(rowNorm(1 + 1) + rowNorm(1 + 2) + rowNorm(1 + 3), 0, 'T2, PD and FLAIR rows do not');
  assert.not.equal(await other.losses.generator!.item(), ownLoss);
  const d = model.discriminatorBackward(batch, own.fakes);
  assert.equal(Object.keys(d).sort(), ['discriminator', 'discriminatorContrast', 'discriminatorFake', 'discriminatorReal']);
  assert.equal(Object.keys(own.losses).sort(), ['common', 'contrast', 'cycle', 'gan', 'generator', 'identity']);
  for (const t of [...Object.values(own.losses), ...Object.values(other.losses), ...Object.values(d), own.fakes.a, own.fakes.b, other.fakes.a, other.fakes.b, batch.a, batch.b]) t.dispose();
  model.dispose();
});

test.run();
