import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { partitionClients, schemeWeights, shareCounts, tableThree } from '../../data/partition.js';
import { splitSubjects } from '../../data/split.js';

const people = (n: number, sites = ['Guys', 'HH', 'IOP']) => Array.from({ length: n }, (_, i) => ({ id: `S${i}`, site: sites[i % sites.length]! }));

function assertDisjointCover(parts: { id: string }[][], n: number) {
  const ids = parts.flat().map((s) => s.id);
  assert.is(ids.length, n, 'every subject dealt once');
  assert.is(new Set(ids).size, n, 'no subject in two clients');
}

test('Table 3 schemes deal subjects in the paper proportions', () => {
  for (const [scheme, clients, counts] of [
    ['average', 4, [25, 25, 25, 25]],
    ['gradual', 2, [60, 40]],
    ['gradual', 4, [40, 30, 20, 10]],
    ['gradual', 8, [30, 20, 10, 10, 10, 10, 5, 5]],
    ['extreme', 2, [90, 10]],
    ['extreme', 4, [70, 10, 10, 10]],
    ['extreme', 8, [30, 10, 10, 10, 10, 10, 10, 10]],
  ] as const) {
    const parts = partitionClients(people(100), { scheme, clients });
    assert.equal(parts.map((p) => p.length), [...counts], `${scheme} x${clients}`);
    assertDisjointCover(parts, 100);
  }
  for (const table of Object.values(tableThree)) for (const shares of Object.values(table)) assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('explicit weights are normalised; counts follow largest remainders and never leave a client empty', () => {
  assert.equal(shareCounts(10, [1, 1, 1]), [4, 3, 3]);
  assert.equal(shareCounts(7, [0.4, 0.3, 0.2, 0.1]), [3, 2, 1, 1]);
  const parts = partitionClients(people(23), { weights: [3, 1] });
  assert.equal(parts.map((p) => p.length), [17, 6]);
  assertDisjointCover(parts, 23);
  assert.throws(() => partitionClients(people(8), { scheme: 'gradual', clients: 8 }), /client 7 of 8 would get none of the 8 subjects \(share 0\.050\); use fewer clients or more subjects/);
  assert.equal(partitionClients(people(9), { scheme: 'extreme', clients: 8 }).map((p) => p.length), [2, 1, 1, 1, 1, 1, 1, 1]);
  assert.throws(() => schemeWeights('gradual', 3), /defined for 2, 4 or 8 clients \(paper, Table 3\), not 3/);
  assert.throws(() => partitionClients(people(9), { weights: [1, -1] }), /weights must be positive/);
  assert.throws(() => partitionClients(people(9), { weights: [1, 1], clients: 3 }), /2 weights for 3 clients/);
});

test('a partition is deterministic per seed and differs across seeds', () => {
  const ids = (seed: number) => partitionClients(people(40), { scheme: 'gradual', clients: 4, seed }).map((p) => p.map((s) => s.id));
  assert.equal(ids(3), ids(3));
  assert.not.equal(ids(3), ids(4));
});

test('the site scheme gives one client per hospital', () => {
  const parts = partitionClients(people(10), { scheme: 'site' });
  assert.equal(parts.map((p) => [p[0]!.site, p.length]), [['Guys', 4], ['HH', 3], ['IOP', 3]]);
  assert.ok(parts.every((p) => p.every((s) => s.site === p[0]!.site)));
  assert.throws(() => partitionClients(people(10), { scheme: 'site', clients: 4 }), /one client per site: 3 \(Guys, HH, IOP\), not 4/);
  assert.throws(() => partitionClients([{ id: 'B1', site: null }], { scheme: 'site' }), /subject B1 has no site/);
});

test('splitSubjects holds out 20% of subjects by default, disjoint, seeded', () => {
  const all = people(577);
  const { train, test: held } = splitSubjects(all);
  assert.is(held.length, 115);
  assert.is(train.length, 462);
  assertDisjointCover([train, held], 577);
  assert.equal(splitSubjects(all, { seed: 3 }).test, held);
  assert.not.equal(splitSubjects(all, { seed: 4 }).test, held);
  assert.is(splitSubjects(people(3)).test.length, 1);
  assert.throws(() => splitSubjects(people(1)), /1 subject\(s\) cannot give both a training and a test set/);
});

test.run();
