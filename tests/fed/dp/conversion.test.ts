import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bestEpsilon, epsilonFromRdp } from '../../../fed/dp/conversion.js';
import { rdpPoissonGaussian } from '../../../fed/dp/rdp_poisson.js';
import { close } from './fixture.js';

test('balle2020: constant RDP 1.1 on orders 2..32 at delta 1e-5 gives 1.32783806176 at order 32', () => {
  // tensorflow/privacy rdp_accountant_test.py, test_get_privacy_spent_check_target_delta
  // (and dp_accounting's test_compute_epsilon_delta_pure_dp), "epsilon computed by hand".
  const orders = Array.from({ length: 31 }, (_, i) => i + 2);
  const best = bestEpsilon(orders, orders.map(() => 1.1), 1e-5, 'balle2020');
  assert.ok(close(best.epsilon, 1.32783806176, 0, 5e-8), `${best.epsilon}`);
  assert.is(best.order, 32);
});

test('balle2020: the Gaussian mechanism with sigma = 4.530877117 is (1, 1e-6)-DP on a fine order grid', () => {
  // Same TF-Privacy test: orders 1.001..99.999 by 0.001, compute_rdp(1, 4.530877117, 1, orders),
  // assertAlmostEqual(eps, 1) (7 places).
  const orders = Array.from({ length: 98999 }, (_, i) => 0.001 * (i + 1001));
  const rdps = orders.map((alpha) => rdpPoissonGaussian(1, 4.530877117, alpha));
  const { epsilon } = bestEpsilon(orders, rdps, 1e-6, 'balle2020');
  assert.ok(close(epsilon, 1, 0, 5e-8), `${epsilon}`);
});

test('mironov2017: two Poisson-sampled runs give 8.509656 at order 2.5', () => {
  // tensorflow/privacy rdp_accountant_test.py, test_check_composition: the value it kept,
  // commented, from the old conversion rdp + log(1/delta) / (alpha - 1), opt_order 2.5,
  // and asserts the newer conversion stays below it.
  const orders = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
  const rdps = orders.map((a) => 40000 * rdpPoissonGaussian(1e-4, 0.4, a) + 100 * rdpPoissonGaussian(0.1, 2, a));
  const old = bestEpsilon(orders, rdps, 1e-5, 'mironov2017');
  assert.ok(close(old.epsilon, 8.509656, 0, 5e-7), `${old.epsilon}`);
  assert.is(old.order, 2.5);
  assert.ok(bestEpsilon(orders, rdps, 1e-5, 'balle2020').epsilon <= 8.509656);
});

test('epsilonFromRdp: the two formulas, never negative, infinite RDP stays infinite', () => {
  const [rdp, alpha, delta] = [0.7, 9, 1e-5];
  assert.ok(close(epsilonFromRdp(rdp, alpha, delta, 'mironov2017'), rdp + Math.log(1 / delta) / (alpha - 1), 1e-15));
  const balle = rdp + Math.log((alpha - 1) / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
  assert.ok(close(epsilonFromRdp(rdp, alpha, delta, 'balle2020'), balle, 1e-15));
  assert.is(epsilonFromRdp(0, 64, 0.5, 'balle2020'), 0);
  assert.is(epsilonFromRdp(Infinity, 3, delta, 'balle2020'), Infinity);
  assert.throws(() => epsilonFromRdp(rdp, 1, delta, 'balle2020'), /order must be > 1/);
  assert.equal(bestEpsilon([2, 3], [Infinity, Infinity], delta, 'balle2020'), { epsilon: Infinity, order: NaN });
});

test.run();
