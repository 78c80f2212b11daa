import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memory } from '../../engine/index.js';
import { phantomDataset, subjectSlice } from '../../data/dataset.js';
import { buildItems } from '../../data/items.js';
import { BatchLoader, largestSubjectShare } from '../../data/loader.js';
import { partitionClients } from '../../data/partition.js';
import { streamRng } from '../../data/seed.js';

const dataset = phantomDataset({ subjects: 6, size: 16, seed: 6 }, { contrasts: ['PD', 'T2'], size: 16 });
const items = buildItems(dataset.subjects, { pairedRatio: 0.5, seed: 1 }); // 6 subjects x 4 slices (z in [6, 10) of 16)

test('batches are [B, 1, S, S] tensors in [-1, 1]; every item once per epoch; the last batch may be smaller', async () => {
  const loader = new BatchLoader(items, { source: 'PD', target: 'T2', batchSize: 4 });
  assert.is(items.length, 24);
  assert.is(loader.length, 6);
  const seen = new Set<unknown>();
  const before = memory().tensors;
  for (const batch of loader.epoch(0)) {
    assert.equal(batch.a.shape, [batch.items.length, 1, 16, 16]);
    assert.equal(batch.b.shape, [batch.items.length, 1, 16, 16]);
    const a = await batch.a.data();
    assert.ok(Math.min(...a) >= -1 && Math.max(...a) <= 1);
    // Without misalignment the images are the stored slices, scaled to [-1, 1].
    const first = batch.items[0]!;
    const want = subjectSlice(first.b, 'T2', first.slice);
    const b = await batch.b.data();
    for (let i = 0; i < 256; i++) assert.ok(Math.abs(b[i]! - (2 * want[i]! - 1)) < 1e-6);
    batch.items.forEach((it) => seen.add(it));
    batch.a.dispose();
    batch.b.dispose();
  }
  assert.is(seen.size, 24);
  assert.is(memory().tensors, before, 'the caller owns and frees the tensors');
  const fives = [...new BatchLoader(items, { source: 'PD', target: 'T2', batchSize: 5 }).epoch(0)];
  assert.equal(fives.map((b) => b.a.shape[0]), [5, 5, 5, 5, 4]);
  fives.forEach((b) => (b.a.dispose(), b.b.dispose()));
  assert.is(new BatchLoader(items.slice(0, 10), { source: 'PD', target: 'T2', batchSize: 4, dropLast: true }).length, 2);
});

test('an epoch is reproducible from (seed, epoch) alone; epochs and seeds shuffle differently', async () => {
  const order = (seed: number, epoch: number) => [...new BatchLoader(items, { source: 'PD', target: 'T2', seed }).epoch(epoch)].flatMap((b) => (b.a.dispose(), b.b.dispose(), b.items));
  assert.equal(order(3, 1), order(3, 1));
  assert.not.equal(order(3, 1), order(3, 2));
  assert.not.equal(order(3, 1), order(4, 1));
  assert.equal([...new BatchLoader(items, { source: 'PD', target: 'T2', shuffle: false }).epoch(0)].flatMap((b) => b.items), items);
});

test('misalignment is drawn independently for the two contrasts of an item', async () => {
  const paired = items.filter((it) => it.paired);
  const same = new BatchLoader(paired, { source: 'T2', target: 'T2', batchSize: paired.length, shuffle: false });
  const moved = new BatchLoader(paired, { source: 'T2', target: 'T2', batchSize: paired.length, shuffle: false, misalignment: { mode: 'severe' } });
  const [plain] = [...same.epoch(0)];
  const [warped] = [...moved.epoch(0)];
  assert.equal([...(await plain!.a.data())], [...(await plain!.b.data())], 'same contrast, same subject, no misalignment: a == b');
  const a = await warped!.a.data(), b = await warped!.b.data();
  const area = 256;
  for (let k = 0; k < paired.length; k++) {
    const differ = a.subarray(k * area, (k + 1) * area).some((v, i) => v !== b[k * area + i]);
    assert.ok(differ, `item ${k}: a and b got different transforms`);
  }
  assert.ok(Math.min(...a) >= -1, 'the fill is the background, -1 in model range');
});

test('per-client loaders over a partition: clients never share a subject', () => {
  const clients = partitionClients(dataset.subjects, { scheme: 'gradual', clients: 2 });
  const loaders = clients.map((c, k) => new BatchLoader(buildItems(c, { seed: k }), { source: 'PD', target: 'T2', seed: k }));
  const owners = loaders.map((l) => new Set(l.items.flatMap((it) => [it.a.id, it.b.id])));
  assert.ok([...owners[0]!].every((id) => !owners[1]!.has(id)));
  assert.equal(clients.map((c) => c.length), [4, 2]);
});

/** Binomial(n, p) probabilities 0..n. */
function binomialPmf(n: number, p: number): number[] {
  const pmf = [Math.pow(1 - p, n)];
  for (let k = 1; k <= n; k++) pmf.push((pmf[k - 1]! * (n - k + 1) * p) / (k * (1 - p)));
  return pmf;
}

test('Poisson sampling: each item joins a step with probability q, and batch sizes follow Binomial(items, q)', () => {
  // 24 items, expected batch 4: q = 1/6 and 6 steps an epoch; 400 epochs = 2400 steps, seed fixed.
  const loader = new BatchLoader(items, { source: 'PD', target: 'T2', batchSize: 4, seed: 5 });
  const q = loader.samplingRate;
  assert.is(q, 4 / 24);
  const epochs = 400;
  const steps = epochs * loader.length;
  const joined = new Map(items.map((it) => [it, 0]));
  const sizes = new Array<number>(items.length + 1).fill(0);
  for (let e = 0; e < epochs; e++) {
    for (const batch of loader.poissonEpoch(streamRng(5, e))) {
      sizes[batch.items.length]!++;
      for (const it of batch.items) joined.set(it, joined.get(it)! + 1);
      batch.a?.dispose();
      batch.b?.dispose();
    }
  }
  // Each item's count is Binomial(2400, 1/6): mean 400, sd 18.3; 4.5 sd is a false alarm in about 1e-4 of seeds.
  const sd = Math.sqrt(steps * q * (1 - q));
  for (const [it, count] of joined) assert.ok(Math.abs(count - steps * q) < 4.5 * sd, `item at slice ${it.slice}: ${count} of ${steps}`);
  // Batch sizes against Binomial(24, 1/6), tail bins merged to expected >= 5: chi-square below its 0.1% point.
  const pmf = binomialPmf(items.length, q);
  const bins: { observed: number; expected: number }[] = [];
  for (let k = 0; k <= items.length; k++) {
    const last = bins.at(-1);
    if (last && last.expected < 5) {
      last.observed += sizes[k]!;
      last.expected += steps * pmf[k]!;
    } else bins.push({ observed: sizes[k]!, expected: steps * pmf[k]! });
  }
  while (bins.length > 1 && bins.at(-1)!.expected < 5) {
    const tail = bins.pop()!;
    bins.at(-1)!.observed += tail.observed;
    bins.at(-1)!.expected += tail.expected;
  }
  const chi2 = bins.reduce((s, b) => s + (b.observed - b.expected) ** 2 / b.expected, 0);
  const criticalAt0001: Record<number, number> = { 7: 24.32, 8: 26.12, 9: 27.88, 10: 29.59, 11: 31.26 };
  const critical = criticalAt0001[bins.length - 1];
  assert.ok(critical !== undefined, `${bins.length - 1} degrees of freedom`);
  assert.ok(chi2 < critical!, `chi-square ${chi2.toFixed(1)} over ${bins.length} bins`);
  assert.ok(sizes[0]! > 0, 'some steps drew an empty batch');
  assert.ok(sizes.slice(8).some((n) => n > 0), 'some steps drew twice the expected batch or more');
});

test('Poisson sampling is the same for the same stream, and empty batches carry no tensors', () => {
  const loader = new BatchLoader(items, { source: 'PD', target: 'T2', batchSize: 1, seed: 2 });
  const draw = (epoch: number) =>
    [...loader.poissonEpoch(streamRng(2, epoch))].map((b) => {
      if (b.a === null) assert.is(b.b, null);
      b.a?.dispose();
      b.b?.dispose();
      return b.items;
    });
  const first = draw(3);
  assert.equal(draw(3), first);
  assert.ok(first.some((batch) => batch.length === 0), 'q = 1/24 leaves some steps empty');
  assert.is(first.length, 24);
});

test('subject unit: Poisson samples subjects, each bringing up to 4 of its own slices, labelled for the sanitiser', () => {
  const paired = buildItems(dataset.subjects, { pairedRatio: 1, seed: 1 }); // 6 subjects x 4 slices, all paired
  const loader = new BatchLoader(paired, { source: 'PD', target: 'T2', batchSize: 2, seed: 4, unit: 'subject' });
  assert.is(loader.samplingRate, 2 / 6);
  assert.is(loader.length, 3);
  assert.is(loader.expectedImages, 8);
  let batches = 0;
  for (let e = 0; e < 20; e++) {
    for (const batch of loader.poissonEpoch(streamRng(4, e))) {
      batch.a?.dispose();
      batch.b?.dispose();
      if (batch.a === null) continue;
      batches++;
      const units = batch.units!;
      assert.is(units.length, batch.items.length);
      // A unit label is one subject's, numbered 0.. in order, and no subject brings more than 4 slices.
      const subjectOf = new Map<number, string>();
      batch.items.forEach((it, i) => {
        assert.is(subjectOf.get(units[i]!) ?? it.a.id, it.a.id);
        subjectOf.set(units[i]!, it.a.id);
      });
      assert.is(new Set(subjectOf.values()).size, subjectOf.size);
      for (let u = 0; u < subjectOf.size; u++) assert.ok(units.filter((x) => x === u).length <= 4);
    }
  }
  assert.ok(batches > 30);
  assert.throws(() => new BatchLoader(items, { source: 'PD', target: 'T2', unit: 'subject' }), /subject privacy unit needs paired items; an item pairs subject/);
});

test('largestSubjectShare counts the items a subject appears in, as source or target', () => {
  const share = largestSubjectShare(items);
  const perSubject = dataset.subjects.map((s) => items.filter((it) => it.a.id === s.id || it.b.id === s.id).length);
  assert.is(share, Math.max(...perSubject));
  assert.ok(share >= 4);
});

test.run();
