/**
 * noiseForEpsilon: the sigma it returns spends at most the target by the
 * ledger's accountant and is no larger than it must be (a sigma 0.1% smaller
 * overspends), on Opacus's get_noise_multiplier case, the main job's
 * clients and a small target; bad targets are errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PrivacyParameterError } from '../../../fed/dp/accountant.js';
import { noiseForEpsilon } from '../../../fed/dp/calibrate.js';
import { tightestEpsilon } from '../../../fed/dp/ledger.js';

const options = { delta: 1e-5, sampling: 'poisson' as const };
const spent = (noise: number, q: number, steps: number) => tightestEpsilon([{ noise, q, steps }], options).epsilon;

test("Opacus's get_noise_multiplier (PRV, epsilon 8, q 0.04, 2000 steps): sigma 1.2915", () => {
  const sigma = noiseForEpsilon(8, { q: 0.04, steps: 2000 }, options);
  assert.ok(Math.abs(sigma - 1.2915) <= 2e-3, `sigma ${sigma}`);
  assert.ok(spent(sigma, 0.04, 2000) <= 8);
});

test('each client of the main job: at most the target, and 0.1% less noise would overspend; less data needs more noise', () => {
  const sigmas = [105, 30].map((items) => {
    const [q, steps] = [8 / items, 24 * Math.ceil(items / 8)];
    const sigma = noiseForEpsilon(10, { q, steps }, options);
    assert.ok(spent(sigma, q, steps) <= 10, `${items} items: sigma ${sigma} spends ${spent(sigma, q, steps)}`);
    assert.ok(spent(sigma * 0.999, q, steps) > 10, `${items} items: sigma ${sigma} is larger than it must be`);
    assert.is(Number(sigma.toPrecision(4)), sigma, 'four significant digits');
    return sigma;
  });
  assert.ok(sigmas[0]! < sigmas[1]!, `${sigmas}`);
});

test('a small target (epsilon 0.01, q 0.1, 100 steps): the least sigma that spends it, not several times more (PRV refines its error bar)', () => {
  const sigma = noiseForEpsilon(0.01, { q: 0.1, steps: 100 }, options);
  assert.ok(spent(sigma, 0.1, 100) <= 0.01 && spent(sigma * 0.999, 0.1, 100) > 0.01, `sigma ${sigma}`);
  assert.ok(sigma < 300, `sigma ${sigma}: GDP's estimate puts the least near 268`);
});

test('a target no noise reaches is a quick error saying why and what is reachable (it used to raise sigma forever)', () => {
  const refused = (target: number, only?: 'rdp', pattern = /cannot be reached/) => {
    const started = performance.now();
    assert.throws(() => noiseForEpsilon(target, { q: 0.01, steps: 100 }, options, only), (e: unknown) => e instanceof PrivacyParameterError && e.parameter === 'epsilon' && pattern.test(e.requirement));
    assert.ok(performance.now() - started < 5000, `epsilon ${target}: ${performance.now() - started} ms`);
  };
  refused(0.0001, undefined, /PRV accountant's error bar alone is 0\.001/);
  refused(0.001);
  // RDP alone flattens out near 0.1 (its conversion at the largest order): the error names the figure.
  refused(0.05, 'rdp', /even noise 1000000 spends 0\.10\d+ by rdp; ask for more than 0\.10/);
});

test('targets near the floor and far above it end, and spend at most the target', () => {
  const near = noiseForEpsilon(0.0011, { q: 0.01, steps: 100 }, options);
  assert.ok(spent(near, 0.01, 100) <= 0.0011, `sigma ${near}`);
  const far = noiseForEpsilon(1e6, { q: 0.01, steps: 100 }, options);
  assert.ok(spent(far, 0.01, 100) <= 1e6 && spent(far * 0.999, 0.01, 100) > 1e6, `sigma ${far}`);
});

test('with one accountant asked for, the sigma spends at most the target by that one, and no more than it must', () => {
  const options1 = { delta: 1e-5 };
  for (const only of ['rdp', 'prv'] as const) {
    const sigma = noiseForEpsilon(2, { q: 0.01, steps: 100 }, options1, only);
    const by = (noise: number) => tightestEpsilon([{ noise, q: 0.01, steps: 100 }], options1, only).epsilon;
    assert.ok(by(sigma) <= 2 && by(sigma * 0.999) > 2, `${only}: sigma ${sigma} spends ${by(sigma)}`);
  }
});

test('onProbe hears every accountant call of the search with the sigma tried and what it spends, the answer bracketed among them', () => {
  const probes: { noise: number; epsilon: number }[] = [];
  const sigma = noiseForEpsilon(3, { q: 0.02, steps: 500 }, options, undefined, (p) => probes.push(p));
  assert.ok(probes.length >= 3, `${probes.length} probes`);
  for (const p of probes.slice(0, 3)) assert.is(p.epsilon, spent(p.noise, 0.02, 500));
  assert.ok(probes.some((p) => p.epsilon <= 3 && p.noise <= sigma) && probes.some((p) => p.epsilon > 3 && p.noise < sigma), 'the search brackets sigma');
});

test('a target that is not a positive number is an error naming epsilon', () => {
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => noiseForEpsilon(bad, { q: 0.1, steps: 10 }, options), (e: unknown) => e instanceof PrivacyParameterError && e.parameter === 'epsilon');
  }
});

test.run();
