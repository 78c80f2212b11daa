import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rdpPoissonGaussian } from '../../../fed/dp/rdp_poisson.js';
import { close, rdpFixture } from './fixture.js';

test('log A_alpha matches numerical integration of its definition (mpmath), integer and fractional orders', () => {
  for (const { q, sigma, alpha, log_a } of rdpFixture.log_a) {
    const actual = rdpPoissonGaussian(q, sigma, alpha) * (alpha - 1);
    // log A = log(1 + tiny) for tiny q: doubles hold it to about 1e-16 absolute.
    assert.ok(close(actual, log_a, 1e-9, 1e-15), `q=${q} sigma=${sigma} alpha=${alpha}: ${actual}, quadrature ${log_a}`);
  }
});

test("TF-Privacy's published RDP values for q = 0.01, sigma = 2.5, 50 steps", () => {
  // tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py,
  // test_compute_rdp_sequence: compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, inf]),
  // assertSequenceAlmostEqual(..., delta=1e-5). (Google's newer dp_accounting test lists
  // 6.70579741e-4 at order 1.5: its fractional series adds the negative terms instead of
  // subtracting them. The quadrature above says 6.5007e-4, as TF-Privacy.)
  const orders = [1.5, 2.5, 5, 50, 100];
  const expected = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307];
  orders.forEach((alpha, i) => {
    const actual = 50 * rdpPoissonGaussian(0.01, 2.5, alpha);
    assert.ok(Math.abs(actual - expected[i]!) <= 1e-5, `order ${alpha}: ${actual}, TF-Privacy ${expected[i]}`);
  });
  assert.is(rdpPoissonGaussian(0.01, 2.5, Infinity), Infinity);
  // test_compute_rdp_scalar: compute_rdp(0.1, 2, 10, 5) = 0.07737 to 5 places.
  assert.ok(Math.abs(10 * rdpPoissonGaussian(0.1, 2, 5) - 0.07737) < 5e-6);
});

test('closed forms: no sampling, order 2, no noise, no data', () => {
  // q = 1 is the plain Gaussian mechanism: alpha / (2 sigma^2).
  assert.ok(close(rdpPoissonGaussian(1, 10, 20), 0.1, 1e-15));
  // A_2 = (1 - q)^2 + 2q(1 - q) + q^2 e^{1/sigma^2} = 1 + q^2 (e^{1/sigma^2} - 1).
  for (const [q, sigma] of [[0.3, 0.7], [0.01, 4], [0.9, 1.07], [0.5, 1e9]] as const) {
    const expected = Math.log1p(q * q * Math.expm1(1 / (sigma * sigma)));
    assert.ok(close(rdpPoissonGaussian(q, sigma, 2), expected, 1e-14, 1e-16), `q=${q} sigma=${sigma}`);
  }
  assert.is(rdpPoissonGaussian(0.1, 0, 3), Infinity);
  assert.is(rdpPoissonGaussian(0, 1, 3), 0);
});

test('q = 1/2 with much noise (the series falls only polynomially there): quick, finite, never negative', () => {
  const started = performance.now();
  for (const sigma of [6.5, 10, 1e3, 1e9, 1e200]) {
    for (let alpha = 1.1; alpha < 11; alpha += 0.2) {
      const rdp = rdpPoissonGaussian(0.5, sigma, alpha);
      assert.ok(rdp >= 0 && rdp < Infinity, `sigma=${sigma} order ${alpha}: ${rdp}`);
    }
  }
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
});

test('the fractional series meets the integer sum at integer orders', () => {
  for (const [q, sigma, alpha] of [[0.04, 1.5, 3], [0.5, 1.07, 7], [0.002, 0.6, 12], [0.9, 2, 33]] as const) {
    const at = rdpPoissonGaussian(q, sigma, alpha);
    for (const offset of [-1e-7, 1e-7]) {
      const near = rdpPoissonGaussian(q, sigma, alpha + offset);
      assert.ok(close(near, at, 1e-5), `q=${q} sigma=${sigma}: order ${alpha + offset} gives ${near}, order ${alpha} ${at}`);
    }
  }
});

test('RDP grows with the order and falls with the noise', () => {
  let previous = 0;
  for (let alpha = 1.1; alpha < 64; alpha += 0.7) {
    const rdp = rdpPoissonGaussian(0.02, 1.1, alpha);
    assert.ok(rdp > previous, `order ${alpha}: ${rdp} after ${previous}`);
    previous = rdp;
  }
  assert.ok(rdpPoissonGaussian(0.02, 2, 8) < rdpPoissonGaussian(0.02, 1, 8));
});

test.run();
