/**
 * Hyper-GAN's data: a loader given several pairs of contrasts draws one per
 * fixed-size batch among those all its items hold, names it, and fills a and
 * b with those contrasts' slices; a Poisson-sampled step draws its pair
 * whatever was sampled and leaves out the items that lack it; the pairs are
 * every ordered pair of the contrasts a client's subjects hold;
 * loadSpecDataset with everyContrast loads the phantom's T1, T2 and PD, and
 * in a folder each subject's own contrasts (subjects may hold different sets).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../engine/index.js';
import { writePhantom } from '../../data/fs/phantom.js';
import { phantomDataset, subjectSlice } from '../../data/dataset.js';
import { loadSpecDataset } from '../../data/fs/index.js';
import { buildItems } from '../../data/items.js';
import { BatchLoader, contrastPairs, type Batch, type EmptyBatch } from '../../data/loader.js';

const dataset = phantomDataset({ subjects: 4, size: 16, seed: 6 }, { contrasts: ['PD', 'T2', 'T1'], size: 16 });
const items = buildItems(dataset.subjects, { pairedRatio: 1, seed: 1 });

test('contrastPairs: every ordered pair of the contrasts the subjects hold', () => {
  assert.equal(contrastPairs(dataset.subjects), [['T1', 'T2'], ['T1', 'PD'], ['T2', 'T1'], ['T2', 'PD'], ['PD', 'T1'], ['PD', 'T2']]);
  const lacking = { ...dataset.subjects[0]!, slices: { PD: dataset.subjects[0]!.slices.PD, T2: dataset.subjects[0]!.slices.T2 } };
  assert.equal(contrastPairs([lacking]), [['T2', 'PD'], ['PD', 'T2']]);
  assert.is(contrastPairs([lacking, ...dataset.subjects.slice(1)]).length, 6);
});

test('a loader with pairs draws one per batch and fills a and b with its slices; with one pair, batches name none', async () => {
  const pairs = contrastPairs(dataset.subjects);
  const loader = new BatchLoader(items, { source: 'PD', target: 'T2', pairs, batchSize: 2, seed: 4 });
  const drawn = new Set<string>();
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const batch of loader.epoch(epoch)) {
      const [s, t] = batch.contrasts!;
      drawn.add(`${s}:${t}`);
      const first = batch.items[0]!;
      const [a, b] = [await batch.a.data(), await batch.b.data()];
      const [wantA, wantB] = [subjectSlice(first.a, s, first.slice), subjectSlice(first.b, t, first.slice)];
      for (let i = 0; i < 256; i++) assert.ok(Math.abs(a[i]! - (2 * wantA[i]! - 1)) < 1e-6 && Math.abs(b[i]! - (2 * wantB[i]! - 1)) < 1e-6, `${s}:${t} pixel ${i}`);
      batch.a.dispose();
      batch.b.dispose();
    }
  }
  assert.is(drawn.size, 6, [...drawn].join(' '));
  const plain = [...new BatchLoader(items, { source: 'PD', target: 'T2', batchSize: 2 }).epoch(0)];
  assert.ok(plain.every((b) => b.contrasts === undefined));
  for (const b of plain) (b.a.dispose(), b.b.dispose());
});

/** Subject 0 without T1 (IXI has such subjects), the others with T1, T2 and PD. */
const t1less = dataset.subjects.map((s, i) => (i === 0 ? { ...s, slices: { PD: s.slices.PD, T2: s.slices.T2 } } : s));
const everyPair = contrastPairs(t1less);

test('a fixed-size batch draws only among the pairs all its items hold', () => {
  const mixed = buildItems(t1less, { pairedRatio: 1, seed: 2 });
  const loader = new BatchLoader(mixed, { source: 'PD', target: 'T2', pairs: everyPair, batchSize: 1, seed: 4 });
  const seen = { withT1: new Set<string>(), without: new Set<string>() };
  for (let epoch = 0; epoch < 4; epoch++) {
    for (const batch of loader.epoch(epoch)) {
      (batch.items[0]!.a === t1less[0] ? seen.without : seen.withT1).add(batch.contrasts!.join(':'));
      batch.a.dispose();
      batch.b.dispose();
    }
  }
  assert.equal([...seen.without].sort(), ['PD:T2', 'T2:PD']);
  assert.is(seen.withT1.size, 6);
});

function release(batch: Batch | EmptyBatch): Batch | EmptyBatch {
  batch.a?.dispose();
  batch.b?.dispose();
  return batch;
}

test('Poisson steps: a unit\'s presence never changes the pair the others train on', () => {
  for (const unit of ['slice', 'subject'] as const) {
    const loaderOf = (subjects: typeof t1less) => new BatchLoader(buildItems(subjects, { pairedRatio: 1, seed: 2 }), { source: 'PD', target: 'T2', pairs: everyPair, batchSize: 2, seed: 4, unit });
    const [withU, withoutU] = [loaderOf(t1less), loaderOf(t1less.slice(1))];
    let compared = 0;
    for (let seed = 0; seed < 60; seed++) {
      const steps = [withU, withoutU].map((loader) => [...loader.poissonEpoch(new Rng(seed))].map(release));
      const shared = Math.min(steps[0]!.length, steps[1]!.length);
      for (let b = 0; b < shared; b++) {
        const [x, y] = [steps[0]![b]!, steps[1]![b]!];
        if (x.a === null || y.a === null) continue; // an empty step names no pair
        assert.equal(x.contrasts, y.contrasts, `${unit} unit, seed ${seed}, step ${b + 1}`);
        compared++;
      }
    }
    assert.ok(compared > 100, `${unit} unit: ${compared} steps compared`);
  }
});

test('Poisson steps: items lacking the drawn pair are left out; a step left with none is empty, noise only', async () => {
  const items = buildItems(t1less, { pairedRatio: 1, seed: 2 });
  const loader = new BatchLoader(items, { source: 'PD', target: 'T2', pairs: everyPair, batchSize: 2, seed: 4, unit: 'subject' });
  const drawn = new Set<string>();
  let lackingLeftOut = 0;
  for (let seed = 0; seed < 40; seed++) {
    for (const batch of loader.poissonEpoch(new Rng(seed))) {
      if (batch.a === null) continue;
      const [s, t] = batch.contrasts!;
      drawn.add(`${s}:${t}`);
      assert.ok(batch.items.every((item) => item.a.slices[s] && item.b.slices[t]), `every item holds ${s}:${t}`);
      if (s === 'T1' || t === 'T1') lackingLeftOut++;
      const units = batch.units!;
      assert.is(units.length, batch.items.length);
      assert.equal([...new Set(units)], [...Array(Math.max(...units) + 1).keys()], 'the units left are numbered 0.. without gaps');
      const first = batch.items[0]!;
      const a = await batch.a.data();
      const want = subjectSlice(first.a, s, first.slice);
      for (let i = 0; i < 256; i++) assert.ok(Math.abs(a[i]! - (2 * want[i]! - 1)) < 1e-6, `${s} pixel ${i}`);
      release(batch);
    }
  }
  assert.is(drawn.size, 6, 'every pair is drawn, whoever was sampled');
  assert.ok(lackingLeftOut > 0, 'T1 pairs were drawn with T1-less subjects in the data');

  // Only the T1-less subject, sampled every step: the steps that draw a T1 pair are empty.
  const alone = new BatchLoader(items.filter((item) => item.a === t1less[0]), { source: 'PD', target: 'T2', pairs: everyPair, batchSize: 1, seed: 4, unit: 'subject' });
  const steps = Array.from({ length: 30 }, (_, seed) => [...alone.poissonEpoch(new Rng(seed))].map(release)).flat();
  const empty = steps.filter((b) => b.a === null).length;
  assert.ok(empty > 0 && empty < steps.length, `${empty} of ${steps.length} steps empty`);
  assert.ok(steps.every((b) => b.a === null || ['PD:T2', 'T2:PD'].includes(b.contrasts!.join(':'))));
});

test('loadSpecDataset with everyContrast: the phantom holds T1, T2 and PD, the direction first', async () => {
  const spec = { data: 'phantom', source: 'T2' as const, target: 'FLAIR' as const, size: 16, seed: 3, testFraction: 0.2, phantomSubjects: 2, phantomSize: 16 };
  assert.equal((await loadSpecDataset(spec)).contrasts, ['T2', 'FLAIR']);
  const every = await loadSpecDataset({ ...spec, everyContrast: true });
  assert.equal(every.contrasts, ['T2', 'FLAIR', 'T1', 'PD']);
  assert.ok(every.subjects.every((s) => every.contrasts.every((c) => s.slices[c])));
});

test('loadSpecDataset with everyContrast on a folder: a subject without T1 keeps PD and T2, the others T1 too', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fedmed-pairs-'));
  try {
    const written = await writePhantom(root, { subjects: 3, size: 16, seed: 5, layout: 'ixi', workers: 1 });
    const t1 = written.files.find((f) => f.startsWith('T1/') && f.includes('IXI002'))!;
    rmSync(join(root, t1));
    const spec = { data: root, source: 'PD' as const, target: 'T2' as const, size: 16, seed: 3, testFraction: 0.2, phantomSubjects: 0, phantomSize: 0, everyContrast: true };
    const dataset = await loadSpecDataset(spec);
    assert.equal(dataset.contrasts, ['PD', 'T2', 'T1']);
    assert.equal(dataset.subjects.map((s) => Object.keys(s.slices).sort().join(' ')), ['PD T1 T2', 'PD T2', 'PD T1 T2']);
    assert.equal(contrastPairs([dataset.subjects[1]!]), [['T2', 'PD'], ['PD', 'T2']]);
    assert.is(contrastPairs(dataset.subjects).length, 6);
    assert.equal((await loadSpecDataset({ ...spec, everyContrast: false })).contrasts, ['PD', 'T2']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
