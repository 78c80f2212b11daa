/**
 * The subject accountant (fed/dp/group_accountant.ts, fed/dp/group_prv.ts):
 * a group of 1 is the PRV accountant; one step's bound holds against the
 * hockey-stick divergence integrated by hand, in both directions; the
 * aligned group pair it rests on dominates groups whose gradients point
 * different ways (a 2-D integration); with q = 1 it holds the Gaussian
 * mechanism's exact epsilon; it beats group privacy; it grows with the group
 * and the sampling rate; bad group sizes are refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gdpDelta } from '../../../fed/dp/gdp.js';
import { GroupAccountant } from '../../../fed/dp/group_accountant.js';
import { groupPrivacy } from '../../../fed/dp/ledger.js';
import { prvEpsilon } from '../../../fed/dp/prv.js';

const delta = 1e-5;

test('a group of one is the PRV accountant: the intervals overlap and each holds the other estimate within its error', () => {
  for (const run of [{ noise: 1.5, q: 0.04, steps: 2249 }, { noise: 1.07, q: 0.1, steps: 30 }]) {
    const prv = prvEpsilon([run], { delta });
    const group = new GroupAccountant(1).epsilon([run], delta);
    assert.is(group.direction, 'remove', 'removing the unit is the worse direction for one unit');
    assert.ok(group.lower <= prv.upper && prv.lower <= group.upper, `[${group.lower}, ${group.upper}] and [${prv.lower}, ${prv.upper}]`);
    assert.ok(Math.abs(group.estimate - prv.estimate) < 0.2 * Math.max(group.upper - group.lower, prv.upper - prv.lower), `${group.estimate} against ${prv.estimate}`);
  }
});

/** The normal density. */
const phi = (x: number, mean: number, sigma: number) => Math.exp(-((x - mean) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
const binomial = (k: number, q: number) => Array.from({ length: k + 1 }, (_, m) => choose(k, m) * q ** m * (1 - q) ** (k - m));
function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
}

/** delta(epsilon) of one step, max over the two directions, by the trapezoid rule on a fine grid (no PRV, no inversion). */
function oneStepDelta(k: number, q: number, sigma: number, epsilon: number): number {
  const w = binomial(k, q);
  let remove = 0;
  let add = 0;
  const dx = 1e-3;
  for (let x = -15 * sigma; x <= k + 15 * sigma; x += dx) {
    const p = w.reduce((s, wm, m) => s + wm * phi(x, m, sigma), 0);
    const q0 = phi(x, 0, sigma);
    remove += Math.max(0, p - Math.exp(epsilon) * q0) * dx;
    add += Math.max(0, q0 - Math.exp(epsilon) * p) * dx;
  }
  return Math.max(remove, add);
}

test("removing one unit is the worse direction across sampling rates, noises and lengths, so the slice PRV's one direction (as Opacus) is the bound", () => {
  const one = new GroupAccountant(1);
  for (const q of [0.01, 0.1, 0.5, 0.9]) {
    for (const noise of [0.6, 1.5, 8]) {
      for (const steps of [1, 300]) assert.is(one.epsilon([{ q, noise, steps }], delta).direction, 'remove', `q ${q}, sigma ${noise}, ${steps} steps`);
    }
  }
});

test('one step: the bound holds against the hockey-stick divergence integrated by hand (groups of 2 and 3)', () => {
  for (const [k, q, sigma, d] of [
    [2, 0.2, 1, 1e-3],
    [3, 0.3, 1.5, 1e-2],
    [3, 0.05, 0.8, 1e-4],
  ] as const) {
    const bound = new GroupAccountant(k).epsilon([{ noise: sigma, q, steps: 1 }], d);
    assert.ok(oneStepDelta(k, q, sigma, bound.upper) <= d, `k ${k}: delta at the upper end ${oneStepDelta(k, q, sigma, bound.upper)} > ${d}`);
    assert.ok(oneStepDelta(k, q, sigma, bound.lower) >= d, `k ${k}: the lower end ${bound.lower} is not below the truth`);
  }
});

test('the aligned pair dominates: gradients of any directions and norms up to C give no larger divergence (2-D, groups of 2 and 3)', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let trial = 0; trial < 6; trial++) {
    const k = 2 + (trial % 2);
    const [q, sigma, epsilon] = [0.1 + 0.4 * random(), 0.7 + random(), 2 * random()];
    const gradients = Array.from({ length: k }, () => {
      const [angle, norm] = [2 * Math.PI * random(), 0.3 + 0.7 * random()];
      return [norm * Math.cos(angle), norm * Math.sin(angle)] as const;
    });
    // The output density with the group: a mixture over which of its k units joined the step.
    const components = Array.from({ length: 2 ** k }, (_, set) => {
      const members = gradients.filter((_, i) => set & (1 << i));
      const mean = members.reduce(([a, b], [x, y]) => [a + x, b + y], [0, 0]);
      return { mean, weight: q ** members.length * (1 - q) ** (k - members.length) };
    });
    let [remove, add] = [0, 0];
    const d = 0.04;
    const span = 7 * sigma + k;
    for (let x = -span; x <= span; x += d) {
      for (let y = -span; y <= span; y += d) {
        const p = components.reduce((s, c) => s + c.weight * phi(x, c.mean[0], sigma) * phi(y, c.mean[1], sigma), 0);
        const q0 = phi(x, 0, sigma) * phi(y, 0, sigma);
        remove += Math.max(0, p - Math.exp(epsilon) * q0) * d * d;
        add += Math.max(0, q0 - Math.exp(epsilon) * p) * d * d;
      }
    }
    const aligned = oneStepDelta(k, q, sigma, epsilon);
    assert.ok(Math.max(remove, add) <= aligned + 1e-4, `trial ${trial}: ${Math.max(remove, add)} > aligned ${aligned}`);
  }
});

test('it beats group privacy where that is finite, and grows with the group and the sampling rate', () => {
  const run = { noise: 2, q: 0.05, steps: 100 };
  const slice = prvEpsilon([run], { delta }).upper;
  for (const k of [2, 3, 4]) {
    const group = groupPrivacy(slice, delta, k);
    assert.ok(group.delta < 1, 'group privacy gives a bound here');
    // Compared at group privacy's delta, k e^{(k-1) eps} delta: group privacy says nothing at the run's own.
    const direct = new GroupAccountant(k).epsilon([run], group.delta).upper;
    assert.ok(direct < group.epsilon, `k ${k}: ${direct} against group privacy's ${group.epsilon}`);
  }
  const epsilon = (k: number, q: number) => new GroupAccountant(k).epsilon([{ noise: 1.5, q, steps: 50 }], delta).estimate;
  const byGroup = [1, 2, 4, 8].map((k) => epsilon(k, 0.05));
  const byRate = [0.02, 0.05, 0.1].map((q) => epsilon(4, q));
  for (const values of [byGroup, byRate]) values.slice(1).forEach((e, i) => assert.ok(e > values[i]!, `${values}`));
});

test('q = 1 is the Gaussian mechanism of sensitivity k: its exact epsilon (Balle and Wang 2018) lies in the interval', () => {
  for (const [k, sigma, steps] of [[2, 5, 300], [5, 1, 300], [31, 5, 1]] as const) {
    const mu = (k * Math.sqrt(steps)) / sigma;
    let [lo, hi] = [0, 1];
    while (gdpDelta(hi, mu) > delta) hi *= 2;
    for (let i = 0; i < 100; i++) [lo, hi] = gdpDelta((lo + hi) / 2, mu) > delta ? [(lo + hi) / 2, hi] : [lo, (lo + hi) / 2];
    const bound = new GroupAccountant(k).epsilon([{ noise: sigma, q: 1, steps }], delta);
    assert.ok(bound.lower <= hi && hi <= bound.upper, `k ${k}: exact ${hi} outside [${bound.lower}, ${bound.upper}]`);
  }
});

test('large groups stay finite and quick; a heavy one-step tail widens the grid; no noise is no bound; nothing run spends nothing', () => {
  const heavy = new GroupAccountant(5).epsilon([{ noise: 0.3, q: 0.05, steps: 1 }], delta);
  assert.ok(oneStepDelta(5, 0.05, 0.3, heavy.upper) <= delta, `${heavy.upper}`);
  const started = performance.now();
  const large = new GroupAccountant(31).epsilon([{ noise: 1.5, q: 0.27, steps: 96 }], delta);
  assert.ok(large.upper > 100 && large.upper < Infinity && large.lower <= large.upper, `${large.upper}`);
  assert.ok(large.upper - large.lower < 0.05 * large.upper, 'a coarse grid, but within a few percent');
  assert.ok(performance.now() - started < 20000);
  assert.is(new GroupAccountant(3).epsilon([{ noise: 0, q: 0.1, steps: 5 }], delta).upper, Infinity);
  assert.is(new GroupAccountant(3).epsilon([{ noise: 1, q: 0.1, steps: 0 }], delta).upper, 0);
});

test('runs compose: split runs give the whole, and a noisier run added spends more', () => {
  const accountant = new GroupAccountant(4);
  const whole = accountant.epsilon([{ noise: 1.2, q: 0.1, steps: 100 }], delta);
  const split = accountant.epsilon([{ noise: 1.2, q: 0.1, steps: 40 }, { noise: 1.2, q: 0.1, steps: 60 }], delta);
  assert.ok(Math.abs(whole.estimate - split.estimate) < 1e-6, `${whole.estimate} against ${split.estimate}`);
  const more = accountant.epsilon([{ noise: 1.2, q: 0.1, steps: 100 }, { noise: 3, q: 0.2, steps: 50 }], delta);
  assert.ok(more.lower > whole.upper, `${more.lower} against ${whole.upper}`);
});

test('a group size that is not a whole number >= 1 is refused in one line', () => {
  for (const k of [0, -2, 2.5, NaN]) assert.throws(() => new GroupAccountant(k), (e: Error) => e.message === `group must be a whole number >= 1, got ${k}`);
  assert.throws(() => new GroupAccountant(2).epsilon([{ noise: 1, q: 0.1, steps: 5 }], 2), /delta must be in \(0, 1\)/);
});

test.run();
