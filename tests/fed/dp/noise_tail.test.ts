/**
 * The delta the noise's cut tail costs (fed/dp/noise_tail.ts): its bound
 * against the exact chance for one pair of coordinates, computed here by
 * integration, and how the ledger and the sigma search pay for it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupAccountant } from '../../../fed/dp/group_accountant.js';
import { noiseForEpsilon } from '../../../fed/dp/calibrate.js';
import { PrivacyLedger, tightestEpsilon } from '../../../fed/dp/ledger.js';
import { NOISE_RADIUS, noiseTailDelta } from '../../../fed/dp/noise_tail.js';
import { boxMuller } from '../../../engine/backends/js/random.js';

/** The exact chance that a 2-D standard normal cut at radius R lands where the same cut noise shifted by s cannot (midpoint rule in polar coordinates). */
function exactPairChance(s: number): number {
  const R = NOISE_RADIUS;
  const radii = 4000, angles = 4000;
  let total = 0;
  const r0 = Math.max(0, R - s);
  for (let i = 0; i < radii; i++) {
    const r = r0 + ((i + 0.5) * (R - r0)) / radii;
    let outside = 0;
    for (let j = 0; j < angles; j++) {
      const theta = ((j + 0.5) * 2 * Math.PI) / angles;
      if (r * r - 2 * r * s * Math.cos(theta) + s * s > R * R) outside++;
    }
    total += r * Math.exp((-r * r) / 2) * (outside / angles) * ((R - r0) / radii);
  }
  return total;
}

test("the radius is the noise's largest: Box-Muller of the smallest u1", () => {
  assert.ok(Math.abs(Math.hypot(...boxMuller(0, 0)) - NOISE_RADIUS) < 1e-12);
});

test('one pair, every unit drawn: the bound is at least the exact chance, and not far above it where the tail matters', () => {
  for (const s of [0.25, 1, 2, 4, 6]) {
    const exact = exactPairChance(s);
    const bound = noiseTailDelta([{ noise: 1 / s, q: 1, steps: 1 }], { parameters: 2, group: 1 });
    assert.ok(bound >= exact, `shift ${s}: bound ${bound} < exact ${exact}`);
    if (s >= 2) assert.ok(bound < 20 * exact, `shift ${s}: bound ${bound} far above exact ${exact}`);
  }
});

test('steps add up, nothing is paid without steps, and a shift past the radius or no noise costs everything', () => {
  const one = noiseTailDelta([{ noise: 1, q: 0.25, steps: 10 }], { parameters: 515_000, group: 1 });
  assert.ok(Math.abs(noiseTailDelta([{ noise: 1, q: 0.25, steps: 30 }], { parameters: 515_000, group: 1 }) / one - 3) < 1e-9);
  assert.is(noiseTailDelta([{ noise: 1, q: 0.25, steps: 0 }], { parameters: 515_000, group: 1 }), 0);
  assert.is(noiseTailDelta([{ noise: 0.1, q: 1, steps: 1 }], { parameters: 10, group: 1 }), 1);
  assert.is(noiseTailDelta([{ noise: 0, q: 0.1, steps: 1 }], { parameters: 10, group: 1 }), 1);
});

test("the main job's most exposed client: one slice's excess is a small share of delta 1e-5; a patient's 31 slices can take all of it", () => {
  const run = [{ noise: 0.9866, q: 8 / 30, steps: 96 }];
  const slice = noiseTailDelta(run, { parameters: 515_000, group: 1 });
  assert.ok(slice > 1e-8 && slice < 1e-7, `${slice}`);
  assert.is(noiseTailDelta(run, { parameters: 515_000, group: 31 }), 1);
  // A group's excess grows fast with its size: two slices can shift twice as far.
  assert.ok(noiseTailDelta(run, { parameters: 515_000, group: 2 }) > 10 * slice);
});

test('the ledger pays the tail from delta: a little more epsilon, the subject accountant at what is left, group privacy where nothing is', () => {
  const round = { client: 'a', round: 1, steps: 96, q: 8 / 30, noise: 0.9866 };
  const exact = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', subjectShare: 2 }).record(round);
  const paid = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', subjectShare: 2, noisedParameters: 515_000 }).record(round);
  const tail = noiseTailDelta([round], { parameters: 515_000, group: 1 });
  assert.is(paid.epsilon, tightestEpsilon([round], { delta: 1e-5 - tail, sampling: 'poisson' }).epsilon);
  assert.ok(paid.epsilon > exact.epsilon && paid.epsilon < exact.epsilon * 1.001, `${paid.epsilon} vs ${exact.epsilon}`);
  const pairTail = noiseTailDelta([round], { parameters: 515_000, group: 2 });
  assert.is(paid.subjectMethod, 'subject accountant');
  assert.is(paid.subjectEpsilon, new GroupAccountant(2).epsilon([round], 1e-5 - pairTail).upper);
  const patient = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', subjectShare: 31, noisedParameters: 515_000 }).record(round);
  assert.is(patient.subjectMethod, 'group privacy');
  assert.is(patient.subjectDelta, 1);
  assert.is(new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', noisedParameters: 515_000 }).toJSON().noisedParameters, 515_000);
  assert.is(new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' }).toJSON().noisedParameters, null);
});

test("the sigma search pays it too: the sigma found spends at most the target with the tail paid, and no less than without it", () => {
  const run = { q: 8 / 30, steps: 96 };
  const options = { delta: 1e-5, sampling: 'poisson' as const, noisedParameters: 515_000 };
  const sigma = noiseForEpsilon(10, run, options);
  assert.ok(tightestEpsilon([{ ...run, noise: sigma }], options).epsilon <= 10);
  assert.ok(sigma >= noiseForEpsilon(10, run, { delta: 1e-5, sampling: 'poisson' }));
});

test('a noised-parameter count that is not a whole number of at least 1 is refused naming it', () => {
  assert.throws(() => new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', noisedParameters: 0 }), /noisedParameters/);
  assert.throws(() => new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', noisedParameters: 1.5 }), /noisedParameters/);
});

test.run();
