/**
 * Rounding in the safe direction (fed/dp/rounding.ts): an upper bound is
 * shown never below its value, a lower one never above, and no further off
 * than one unit of the last digit, at every magnitude; calibrate's sigma
 * goes through the same rounding.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boundText, roundDecimals, roundSignificant } from '../../../fed/dp/rounding.js';

/** Values near and on decimal boundaries, over many magnitudes (a fixed LCG, so the test repeats). */
function samples(): number[] {
  const xs = [7.329111171484175, 3.7841489707125606, 0.1 + 0.2, 1.25, 1.234, 1.234 + 5e-13, 1.234 - 5e-13, 999999.5, 9.99995, 1e-7, 123456789];
  let seed = 12345;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    xs.push((seed / 2 ** 31) * 10 ** ((i % 17) - 8));
  }
  return xs;
}

test('up: never below x, and less than one unit of the last digit above it; down: the mirror', () => {
  for (const x of samples()) {
    for (const digits of [2, 4, 6]) {
      const unit = 10 ** (Math.floor(Math.log10(x)) - digits + 1);
      const [up, down] = [roundSignificant(x, digits, 'up'), roundSignificant(x, digits, 'down')];
      assert.ok(up >= x && up - x < unit * (1 + 1e-9), `${x} up to ${digits} digits: ${up}`);
      assert.ok(down <= x && x - down < unit * (1 + 1e-9), `${x} down to ${digits} digits: ${down}`);
      assert.is(Number(up.toPrecision(digits + 1)), up, `${x}: ${up} has at most ${digits} digits`);
    }
    for (const decimals of [2, 3]) {
      const up = roundDecimals(x, decimals, 'up');
      assert.ok(up >= x && up - x < 10 ** -decimals, `${x} up to ${decimals} places: ${up}`);
    }
  }
});

test('a value a hair above a round number rounds up past it (calibrate subtracted 1e-9 of a unit before the ceiling, which rounded 1.234 + 5e-13 down to 1.234)', () => {
  assert.is(roundSignificant(1.234 + 5e-13, 4, 'up'), 1.235);
  assert.is(roundSignificant(1.234, 4, 'up'), 1.234, 'a round number stays');
  assert.is(roundSignificant(1.234 - 5e-13, 4, 'down'), 1.233);
});

test("boundText: the review's figures, which toFixed and toPrecision showed below their value", () => {
  assert.is(boundText(3.7841489707125606, { decimals: 2 }), '3.79'); // toFixed(2): 3.78
  assert.is(boundText(7.329111171484175, { significant: 6 }), '7.32912'); // toPrecision(6): 7.32911
  assert.is(boundText(6.75843, { significant: 3 }, 'down'), '6.75');
  assert.is(boundText(2, { decimals: 2 }), '2.00');
  assert.is(boundText(0, { significant: 6 }), '0');
  assert.is(boundText(Infinity, { significant: 6 }), 'Infinity');
});

test.run();
