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

test('a target that is not a positive number is an error naming epsilon', () => {
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => noiseForEpsilon(bad, { q: 0.1, steps: 10 }, options), (e: unknown) => e instanceof PrivacyParameterError && e.parameter === 'epsilon');
  }
});

test.run();
