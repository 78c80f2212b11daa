import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { logAdd, logBinomials, logErfc, logSub, logSumExp } from '../../../fed/dp/logmath.js';
import { close, rdpFixture } from './fixture.js';

test('logErfc matches mpmath at 60 digits from x = -30 to 1e4', () => {
  for (const { x, log_erfc } of rdpFixture.log_erfc) {
    const actual = logErfc(x);
    assert.ok(close(actual, log_erfc, 1e-13, 1e-15), `logErfc(${x}) = ${actual}, mpmath ${log_erfc}`);
  }
});

test('logErfc is continuous where it switches from the series to the continued fraction', () => {
  const below = logErfc(2 - 1e-9);
  const above = logErfc(2);
  // d/dx log erfc(x) = -2 e^{-x^2} / (sqrt(pi) erfc(x)) = -4.4180 at x = 2.
  assert.ok(Math.abs(below - above - 4.418e-9) < 1e-12, `${below} vs ${above}`);
});

test('logAdd, logSub and logSumExp agree with plain arithmetic, and with zeros', () => {
  const [a, b] = [Math.log(3), Math.log(5)];
  assert.ok(close(logAdd(a, b), Math.log(8), 1e-15));
  assert.ok(close(logSub(b, a), Math.log(2), 1e-15));
  assert.ok(close(logSumExp([a, b, Math.log(2)]), Math.log(10), 1e-15));
  assert.is(logAdd(-Infinity, a), a);
  assert.is(logSub(a, -Infinity), a);
  assert.is(logSub(a, a), -Infinity);
  assert.is(logSumExp([]), -Infinity);
  // Far outside double range: e^1000 + e^1000 = 2 e^1000.
  assert.ok(close(logAdd(1000, 1000), 1000 + Math.LN2, 1e-15));
  assert.throws(() => logSub(a, b), /negative/);
});

test('logBinomials gives C(n, k) for integer n and the signed generalised coefficient for real n', () => {
  const { log, sign } = logBinomials(10, 10);
  const exact = [1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1];
  exact.forEach((c, k) => {
    assert.ok(close(Math.exp(log[k]!), c, 1e-14), `C(10, ${k})`);
    assert.is(sign[k], 1);
  });
  // C(1.5, k) = 1, 1.5, 0.375, -0.0625, 0.0234375: 1.5 * 0.5 * (-0.5) * (-1.5) / 4!
  const real = logBinomials(1.5, 4);
  [1, 1.5, 0.375, -0.0625, 0.0234375].forEach((c, k) => {
    assert.ok(close(real.sign[k]! * Math.exp(real.log[k]!), c, 1e-14), `C(1.5, ${k})`);
  });
  assert.is(logBinomials(3, 5).sign[4], 0); // C(3, 4) = 0
});

test.run();
