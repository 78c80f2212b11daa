/**
 * eval/closeness.ts, the one rule by which the Node parity tests
 * and the browser test page (web/test.ts) judge a backend against js.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeness, RTOL } from '../../eval/closeness.js';

test('an error far below the largest value counts against the typical size, not the maximum', () => {
  const expected = new Float32Array(10_000).fill(1);
  expected[0] = 100;
  const actual = expected.slice();
  actual[7] = 1.005; // 0.5 % off an ordinary element
  const { worst, index, rms } = closeness(actual, expected);
  assert.is(index, 7);
  assert.ok(Math.abs(rms - Math.sqrt((9999 + 100 ** 2) / 10_000)) < 1e-6, `rms ${rms}`);
  assert.ok(Math.abs(worst - 0.005 / rms) < 1e-6, `worst ${worst}`);
  assert.ok(worst > RTOL, 'a 0.5 % error passed');
});

test('relative where values are large, relative to the rms where they cancel to near zero', () => {
  assert.ok(closeness(Float32Array.of(1000.05, 1), Float32Array.of(1000, 1)).worst <= RTOL);
  assert.ok(closeness(Float32Array.of(1000.5, 1), Float32Array.of(1000, 1)).worst > RTOL);
  const nearZero = closeness(Float32Array.of(1, -1, 2e-5), Float32Array.of(1, -1, 1e-5)); // 1e-5 off a value of rms 0.8
  assert.ok(nearZero.worst <= RTOL, `${nearZero.worst}`);
});

test('non-finite values must match exactly; NaN against a number is the worst there is', () => {
  assert.equal(closeness(Float32Array.of(NaN, Infinity, 1), Float32Array.of(NaN, Infinity, 1)), { worst: 0, index: -1, rms: 1 });
  assert.is(closeness(Float32Array.of(1, -Infinity), Float32Array.of(1, Infinity)).worst, Infinity);
  const nan = closeness(Float32Array.of(1, NaN), Float32Array.of(1, 2));
  assert.equal([nan.worst, nan.index], [Infinity, 1]);
});

test.run();
