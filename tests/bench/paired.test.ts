/**
 * bench/paired.ts: the order of an alternated run, the pairing of each B
 * step with the A steps around it, and the median and spread of the ratios.
 * The sides are test doubles that return scripted times; nothing is timed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alternate, compare, formatRatio, pairedRatios, spread, type TimedSide } from '../../bench/paired.js';

/** A stand-in side: logs its name on every step and returns its scripted times in turn. */
function scripted(name: string, times: number[], log: string[]): TimedSide {
  let i = 0;
  return {
    async step() {
      log.push(name);
      return times[i++ % times.length]!;
    },
  };
}

test('alternate runs the warm-ups, then A B A B ... B A, and keeps only the timed steps', async () => {
  const log: string[] = [];
  const times = await alternate(scripted('A', [1, 2, 3, 4, 5, 6], log), scripted('B', [10, 20, 30, 40], log), 3, 2);
  assert.equal(log.join(''), 'ABAB' + 'ABABABA');
  assert.equal(times, { a: [3, 4, 5, 6], b: [30, 40, 10] });
});

test('each B step is paired with the mean of the A steps either side, so a steady drift cancels', () => {
  // The machine slows by 10 ms a step; B costs twice A at every moment.
  const a = [100, 120, 140, 160];
  const b = [220, 260, 300];
  assert.equal(pairedRatios({ a, b }), [2, 2, 2]);
  assert.throws(() => pairedRatios({ a: [1, 2], b: [1, 2] }), /2 A steps around 2 B steps/);
});

test('spread: median and quartiles between order statistics, range and count, whatever the order', () => {
  assert.equal(spread([5, 1, 3]), { median: 3, q1: 2, q3: 4, min: 1, max: 5, n: 3 });
  assert.equal(spread([4, 1, 3, 2]), { median: 2.5, q1: 1.75, q3: 3.25, min: 1, max: 4, n: 4 });
  assert.equal(spread([7]), { median: 7, q1: 7, q3: 7, min: 7, max: 7, n: 1 });
  assert.throws(() => spread([]), /no values/);
});

test('compare: one outlier step moves the range, not the median of the paired ratios', async () => {
  const log: string[] = [];
  // A is 100 ms but for one step the machine stalled; B is 1.5x A.
  const result = await compare(scripted('A', [100, 100, 100, 400, 100, 100], log), scripted('B', [150], log), 5, 0);
  assert.is(result.ratio.median, 1.5);
  assert.ok(result.ratio.min < 1, `the stalled pairs show in the range: ${formatRatio(result.ratio)}`);
  assert.is(result.aMs.median, 100);
  assert.is(result.bMs.median, 150);
  assert.is(formatRatio(spread([1.5, 1.2, 1.25, 2])), '1.38x (IQR 1.24-1.63, range 1.20-2.00, 4 pairs)');
});

test.run();
