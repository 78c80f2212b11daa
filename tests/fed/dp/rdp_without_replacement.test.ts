import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rdpPoissonGaussian } from '../../../fed/dp/rdp_poisson.js';
import { cgfWithoutReplacementGaussian, rdpWithoutReplacementGaussian } from '../../../fed/dp/rdp_without_replacement.js';
import { close } from './fixture.js';

// tensorflow/privacy rdp_accountant_test.py, test_compute_rdp_sequence_without_replacement:
// compute_rdp_sample_without_replacement(0.01, 2.5, 50, orders), assertSequenceAlmostEqual(delta=1e-5).
// TF-Privacy evaluates Theorem 27 of Wang et al. 2019, which strengthens Theorem 9 (ours) by
// replacing 2 e^{(j-1) eps(j)} with forward differences, so it is never above ours, and equal
// where that term is not the one that binds.
const TF_ORDERS = [1.001, 1.5, 2.5, 5, 50, 100, 256, 512, 1024];
const TF_THEOREM_27 = [0.00347, 0.00347, 0.004638, 0.0087633, 0.098474, 167.766388, 792.838516, 1817.35871, 3865.55029];
const EQUAL_ORDERS = new Set([1.001, 1.5, 100, 512, 1024]);

test("TF-Privacy's published Theorem 27 values: equal below order 2 and where the bound is the same, below ours elsewhere", () => {
  TF_ORDERS.forEach((alpha, i) => {
    const ours = 50 * rdpWithoutReplacementGaussian(0.01, 2.5, alpha);
    const theirs = TF_THEOREM_27[i]!;
    if (EQUAL_ORDERS.has(alpha)) assert.ok(Math.abs(ours - theirs) <= 1e-5, `order ${alpha}: ${ours}, TF-Privacy ${theirs}`);
    else assert.ok(ours >= theirs - 1e-5, `order ${alpha}: ours ${ours} below Theorem 27's ${theirs}`);
  });
});

test('order 2 in closed form: log(1 + gamma^2 min(4 (e^{1/s^2} - 1), 2 e^{1/s^2}))', () => {
  for (const [gamma, sigma] of [[0.5, 0.5], [0.25, 1.07], [0.125, 2], [0.01, 0.3]] as const) {
    const eps2 = 1 / (sigma * sigma);
    const expected = Math.log1p(gamma * gamma * Math.min(4 * Math.expm1(eps2), 2 * Math.exp(eps2)));
    assert.ok(close(cgfWithoutReplacementGaussian(gamma, sigma, 2), expected, 1e-14), `gamma ${gamma} sigma ${sigma}`);
  }
});

test('the bound is never above the unsampled mechanism, and never below Poisson sampling at the same rate', () => {
  // Wang et al. 2019 also bound subsampling's RDP from below; for the Gaussian at integer
  // orders that lower bound is exactly the Poisson-sampled A_alpha (autodp's
  // compose_subsampled_mechanisms_lowerbound calls compose_poisson_subsampled_mechanisms),
  // so Theorem 9's upper bound can never fall under it.
  for (const [gamma, sigma] of [[0.5, 1.07], [0.1, 0.8], [0.01, 2.5]] as const) {
    for (let alpha = 2; alpha <= 64; alpha += 3) {
      const bound = rdpWithoutReplacementGaussian(gamma, sigma, alpha);
      assert.ok(bound <= alpha / (2 * sigma * sigma) + 1e-15, `gamma ${gamma} sigma ${sigma} order ${alpha}`);
      assert.ok(bound >= rdpPoissonGaussian(gamma, sigma, alpha) - 1e-15, `gamma ${gamma} sigma ${sigma} order ${alpha}`);
    }
  }
});

test('between integers the CGF is interpolated linearly; orders in (1, 2] take the bound at 2', () => {
  const [gamma, sigma] = [0.25, 1.07];
  const cgf3 = cgfWithoutReplacementGaussian(gamma, sigma, 3);
  const cgf4 = cgfWithoutReplacementGaussian(gamma, sigma, 4);
  assert.ok(close(rdpWithoutReplacementGaussian(gamma, sigma, 3.25), (0.75 * cgf3 + 0.25 * cgf4) / 2.25, 1e-15));
  assert.is(rdpWithoutReplacementGaussian(gamma, sigma, 1.3), cgfWithoutReplacementGaussian(gamma, sigma, 2));
  assert.is(rdpWithoutReplacementGaussian(1, sigma, 3.7), 3.7 / (2 * sigma * sigma));
  assert.is(rdpWithoutReplacementGaussian(gamma, 0, 3), Infinity);
  assert.throws(() => cgfWithoutReplacementGaussian(gamma, sigma, 2.5), /integer >= 2/);
});

test.run();
