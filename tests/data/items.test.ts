import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Subject } from '../../data/dataset.js';
import { buildItems, type Item } from '../../data/items.js';

const subjects = (n: number, slices = 30): Subject[] =>
  Array.from({ length: n }, (_, i) => ({ id: `S${i}`, site: null, z: Array.from({ length: slices }, (_, k) => 50 + k), size: 4, slices: {} }));

const key = (it: Item) => `${it.a.id}/${it.b.id}/${it.slice}`;

test('paired and unpaired items in the asked ratio, each kind as defined', () => {
  const group = subjects(10);
  const items = buildItems(group, { pairedRatio: 0.5 });
  assert.is(items.length, 300); // every subject-slice once by default
  const paired = items.filter((it) => it.paired);
  const unpaired = items.filter((it) => !it.paired);
  assert.is(paired.length, 150);
  assert.is(unpaired.length, 150);
  assert.ok(paired.every((it) => it.a === it.b));
  assert.ok(unpaired.every((it) => it.a !== it.b));
  assert.ok(items.every((it) => it.slice >= 0 && it.slice < 30));
  assert.is(new Set(items.map(key)).size, items.length, 'no item twice');
  // Unpaired sources come from one half of the subjects and targets from the other.
  const sources = new Set(unpaired.map((it) => it.a.id));
  const targets = new Set(unpaired.map((it) => it.b.id));
  assert.ok([...sources].every((id) => !targets.has(id)), 'halves are disjoint');
  assert.ok(sources.size <= 5 && targets.size <= 5);
});

test('counts and ratios: explicit count, all paired, all unpaired', () => {
  const group = subjects(6, 10);
  const some = buildItems(group, { count: 25, pairedRatio: 0.2 });
  assert.is(some.length, 25);
  assert.is(some.filter((it) => it.paired).length, 5);
  assert.ok(buildItems(group, { pairedRatio: 1 }).every((it) => it.paired));
  assert.ok(buildItems(group, { pairedRatio: 0 }).every((it) => !it.paired));
});

test('a client with too few subjects for what is asked gets a clear error', () => {
  assert.throws(() => buildItems(subjects(1), { pairedRatio: 0.5, name: 'client 4' }), /client 4: has 1 subject; unpaired items need at least 2 \(asked for 15; --paired-ratio 1 needs none\)/);
  assert.throws(() => buildItems(subjects(3, 10), { count: 40, pairedRatio: 0.9, name: 'client 2' }), /client 2: has 3 subjects x 10 slices = 30 paired items, but 36 were asked for/);
  assert.throws(() => buildItems(subjects(3, 10), { count: 60, pairedRatio: 0, name: 'client 1' }), /client 1: has 3 subjects \(halves of 2 and 1\) x 10 slices = 20 unpaired items, but 60 were asked for/);
  const uneven = [...subjects(2, 10), ...subjects(1, 9)];
  assert.throws(() => buildItems(uneven), /different slice counts/);
});

test('items are deterministic per seed', () => {
  const group = subjects(8, 12);
  assert.equal(buildItems(group, { seed: 1 }).map(key), buildItems(group, { seed: 1 }).map(key));
  assert.not.equal(buildItems(group, { seed: 1 }).map(key), buildItems(group, { seed: 2 }).map(key));
});

test.run();
