import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  composedEpsilon,
  DEFAULT_ORDERS,
  epsilonPoisson,
  epsilonWithoutReplacement,
  PrivacyParameterError,
  privacyEpsilon,
} from '../../../fed/dp/accountant.js';
import { epsilonFromRdp } from '../../../fed/dp/conversion.js';
import { rdpWithoutReplacementGaussian } from '../../../fed/dp/rdp_without_replacement.js';
import { close } from './fixture.js';

// DESIGN.md, "The reference code", Differential privacy: the paper's table, epsilon at delta = 1e-5 for
// sampling rate 1 / clients and 240 compositions (autodp anaRDPacct, get_eps).
const PAPER_TABLE: [sigma: number, clients: number, epsilon: number][] = [
  [0.5, 2, 813.79], [0.5, 4, 505.26], [0.5, 8, 250.44],
  [1.07, 2, 200.47], [1.07, 4, 74.36], [1.07, 8, 28.83],
  [2.0, 2, 71.51], [2.0, 4, 27.98], [2.0, 8, 12.92],
];

for (const [sigma, clients, expected] of PAPER_TABLE) {
  test(`without replacement reproduces the paper's table: sigma ${sigma}, ${clients} clients -> ${expected}`, () => {
    const { epsilon } = epsilonWithoutReplacement({ noise: sigma, q: 1 / clients, steps: 240, delta: 1e-5 });
    assert.ok(Math.abs(epsilon - expected) <= 0.01, `epsilon ${epsilon}, paper ${expected}`);
  });
}

test("Opacus's RDPAccountant: sigma 1.5, q 0.04, 2250 steps, delta 1e-5 -> 7.32911117143", () => {
  // pytorch/opacus opacus/tests/accountants_test.py, test_rdp_accountant (steps = int(90 / 0.04),
  // default alphas, Balle et al. 2020 conversion), assertAlmostEqual to 7 places.
  const { epsilon, order } = epsilonPoisson({ noise: 1.5, q: 0.04, steps: 2250, delta: 1e-5 });
  assert.ok(close(epsilon, 7.32911117143, 0, 5e-8), `${epsilon}`);
  assert.ok(DEFAULT_ORDERS.includes(order));
});

test("DEFAULT_ORDERS is Opacus's grid: 1.1, 1.2, ..., 10.9, then 12..63", () => {
  assert.is(DEFAULT_ORDERS.length, 99 + 52);
  assert.is(DEFAULT_ORDERS[0], 1.1);
  assert.is(DEFAULT_ORDERS[98], 10.9);
  assert.is(DEFAULT_ORDERS[99], 12);
  assert.is(DEFAULT_ORDERS.at(-1), 63);
});

test('without replacement: the search finds the smallest epsilon over real orders', () => {
  for (const [noise, q, steps] of [[1.07, 0.25, 240], [0.8, 0.01, 3000], [3, 0.002, 50]] as const) {
    const best = epsilonWithoutReplacement({ noise, q, steps, delta: 1e-5 });
    const at = (alpha: number) => epsilonFromRdp(steps * rdpWithoutReplacementGaussian(q, noise, alpha), alpha, 1e-5, 'mironov2017');
    assert.ok(close(at(best.order), best.epsilon, 1e-12), `noise ${noise} q ${q}: reported order ${best.order}`);
    for (let alpha = 1.05; alpha < 400; alpha *= 1.07) {
      assert.ok(at(alpha) >= best.epsilon - 1e-9, `noise ${noise} q ${q}: order ${alpha} gives ${at(alpha)} < ${best.epsilon}`);
    }
  }
});

test('without replacement with q = 1 is the Gaussian mechanism composed: min over orders of T a / (2 s^2) + log(1/d) / (a - 1)', () => {
  const [noise, steps, delta] = [4, 10, 1e-5];
  const { epsilon, order } = epsilonWithoutReplacement({ noise, q: 1, steps, delta });
  // The minimiser of the convex c a + L / (a - 1) is a = 1 + sqrt(L / c).
  const [c, l] = [steps / (2 * noise * noise), Math.log(1 / delta)];
  const alpha = 1 + Math.sqrt(l / c);
  assert.ok(close(order, alpha, 1e-6), `order ${order}, expected ${alpha}`);
  assert.ok(close(epsilon, c * alpha + l / (alpha - 1), 1e-12));
});

test('rounds compose: the sum of two runs equals one run of all the steps, both samplings', () => {
  for (const sampling of ['poisson', 'without-replacement'] as const) {
    const whole = privacyEpsilon({ noise: 1.1, q: 0.05, steps: 700, delta: 1e-6, sampling });
    const parts = composedEpsilon([{ noise: 1.1, q: 0.05, steps: 300 }, { noise: 1.1, q: 0.05, steps: 400 }], { delta: 1e-6, sampling });
    assert.ok(close(parts.epsilon, whole.epsilon, 1e-12), sampling);
  }
  // More noise in the second run costs less than the same noise throughout.
  const mixed = composedEpsilon([{ noise: 1.1, q: 0.05, steps: 300 }, { noise: 2, q: 0.05, steps: 400 }], { delta: 1e-6 });
  const same = epsilonPoisson({ noise: 1.1, q: 0.05, steps: 700, delta: 1e-6 });
  assert.ok(mixed.epsilon < same.epsilon);
});

test('more steps, more epsilon; more noise, less; no noise, no privacy', () => {
  const at = (noise: number, steps: number) => epsilonPoisson({ noise, q: 0.01, steps, delta: 1e-5 }).epsilon;
  assert.ok(at(1, 100) < at(1, 1000));
  assert.ok(at(2, 1000) < at(1, 1000));
  assert.equal(epsilonPoisson({ noise: 0, q: 0.01, steps: 10, delta: 1e-5 }), { epsilon: Infinity, order: NaN });
  assert.equal(epsilonWithoutReplacement({ noise: 0, q: 0.01, steps: 10, delta: 1e-5 }), { epsilon: Infinity, order: NaN });
});

test('bad parameters are one-line errors naming the parameter', () => {
  const good = { noise: 1, q: 0.1, steps: 10, delta: 1e-5 };
  const cases: [Partial<typeof good> & { orders?: number[] }, string][] = [
    [{ q: 0 }, 'q must be in (0, 1], got 0'],
    [{ q: 1.5 }, 'q must be in (0, 1], got 1.5'],
    [{ noise: -1 }, 'noise must be finite and >= 0, got -1'],
    [{ steps: 0 }, 'steps must be a whole number >= 1, got 0'],
    [{ steps: 2.5 }, 'steps must be a whole number >= 1, got 2.5'],
    [{ delta: 0 }, 'delta must be in (0, 1), got 0'],
    [{ delta: 1 }, 'delta must be in (0, 1), got 1'],
    [{ orders: [2, 1] }, 'orders must be finite and > 1, got 1'],
  ];
  for (const [change, message] of cases) {
    try {
      privacyEpsilon({ ...good, ...change });
      assert.unreachable(`accepted ${JSON.stringify(change)}`);
    } catch (e) {
      assert.instance(e, PrivacyParameterError);
      assert.is((e as Error).message, message);
    }
  }
});

test.run();
