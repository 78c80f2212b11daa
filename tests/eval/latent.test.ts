/**
 * The latent-space figure's parts: the paper's reduction (the last dimension
 * split into halves x and y, the rest averaged) against a hand computation,
 * the down block read at each size, the samples drawn from test slices
 * first, a model without a U-Net refused, and the scatter plot's four
 * series with one dot per point.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend, tensor } from '../../engine/index.js';
import type { Item } from '../../data/index.js';
import { latentBlock, latentChart, latentSampleItems, reduceLatent, unetGenerators, unetLatent } from '../../eval/latent.js';
import { createModel, UNetGenerator } from '../../models/index.js';

/** A test double of a paired item: only its identity matters to the sampling. */
function stubItem(id: string): Item {
  const subject = { id } as unknown as Item['a'];
  return { a: subject, b: subject, slice: 0, paired: true };
}

test.before(async () => {
  await setBackend('js');
});

test('reduceLatent: x and y are the means of the two halves of the last dimension over all the rest', () => {
  // Two samples of shape [2, 1, 4] (channels, height, width); sample 0 is 0..7, sample 1 is 10 x that.
  const sample = [0, 1, 2, 3, 4, 5, 6, 7];
  const values = Float32Array.from([...sample, ...sample.map((v) => 10 * v)]);
  // Sample 0: first halves (0, 1) and (4, 5) -> x = 10 / 4 = 2.5; second halves (2, 3) and (6, 7) -> y = 18 / 4 = 4.5.
  assert.equal(reduceLatent(values, [2, 2, 1, 4]), [[2.5, 4.5], [25, 45]]);
});

test('reduceLatent: an odd last dimension gives the first half the extra element, as torch.chunk does', () => {
  // One sample [2, 3]: rows (1, 2, 3) and (4, 5, 6); x from columns 0-1: (1 + 2 + 4 + 5) / 4 = 3; y from column 2: (3 + 6) / 2 = 4.5.
  assert.equal(reduceLatent(Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3]), [[3, 4.5]]);
  assert.throws(() => reduceLatent(new Float32Array(4), [1, 4, 1, 1]), /last dimension .* has 1 element/);
  assert.throws(() => reduceLatent(new Float32Array(5), [1, 2, 2]), /5 values do not fill shape \[1, 2, 2\]/);
});

test("the fifth down block at 64 px and above; at 32 px, where instance norm makes its 1x1 output 0, the fourth", async () => {
  assert.is(latentBlock(256), 5);
  assert.is(latentBlock(64), 5);
  assert.is(latentBlock(32), 4);
  const g = new UNetGenerator(2);
  const x = tensor(Float32Array.from({ length: 2 * 32 * 32 }, (_, i) => Math.sin(i / 7)), [2, 1, 32, 32]);
  const fifth = unetLatent(g, x, 5);
  assert.equal(fifth.shape, [2, 16, 1, 1]);
  assert.ok((await fifth.data()).every((v) => v === 0), 'a 1x1 map instance-normed is 0');
  const fourth = unetLatent(g, x, 4);
  assert.equal(fourth.shape, [2, 16, 2, 2]);
  assert.ok((await fourth.data()).some((v) => v !== 0));
  for (const t of [x, fifth, fourth]) t.dispose();
});

test('samples come from the test items, and from the training items only when the test items are too few', () => {
  const test_ = Array.from({ length: 5 }, (_, i) => stubItem(`test-${i}`));
  const train = Array.from({ length: 20 }, (_, i) => stubItem(`train-${i}`));
  const few = latentSampleItems(test_, train, 2, 5);
  assert.equal([few.fromTest, few.fromTrain], [2, 0]);
  assert.ok(few.items.every((item) => test_.includes(item)));
  const more = latentSampleItems(test_, train, test_.length + 3, 5);
  assert.equal([more.fromTest, more.fromTrain], [test_.length, 3]);
  assert.is(new Set(more.items).size, more.items.length, 'no item twice');
  const all = latentSampleItems(test_, train, 10_000, 5);
  assert.is(all.items.length, test_.length + train.length);
  assert.equal(latentSampleItems(test_, train, 3, 5).items, latentSampleItems(test_, train, 3, 5).items, 'seeded');
});

test('a model without U-Net generators is refused in one line naming it', () => {
  const munit = createModel('munit', { width: 2, size: 64 });
  assert.throws(() => unetGenerators(munit), /^the latent-space figure is not supported for munit: .*only cyclegan \(U-Net\)/);
  munit.dispose();
  const cyclegan = createModel('cyclegan', { width: 2, size: 32 });
  assert.ok(unetGenerators(cyclegan).ab instanceof UNetGenerator);
  cyclegan.dispose();
});

test('latentChart: four series in the paper\'s colours, one dot per point, named with their contrast and count', () => {
  const points = { realA: [[0, 1], [1, 2]] as [number, number][], fakeA: [[0.5, 0.5]] as [number, number][], realB: [[2, 2], [3, 1], [2, 0]] as [number, number][], fakeB: [] as [number, number][] };
  const svg = latentChart(points, { title: 'run, round 3', source: 'PD', target: 'T2' });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  const dots = (color: string) => [...svg.matchAll(new RegExp(`<circle [^>]*fill="${color}" fill-opacity`, 'g'))].length;
  assert.equal([dots('#d62728'), dots('#1f77b4'), dots('#2ca02c'), dots('#222222')], [2, 1, 3, 0]);
  for (const name of ['real A (PD, 2)', 'fake A (PD, 1)', 'real B (T2, 3)', 'fake B (T2, 0)']) assert.ok(svg.includes(`>${name}</text>`), name);
  assert.not.ok(svg.includes('<polyline'), 'a scatter plot draws no lines');
  assert.ok(svg.includes('>x: mean over the first half of the last dimension</text>'));
});

test.run();
