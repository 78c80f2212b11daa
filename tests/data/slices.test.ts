import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { minMaxNormalize, padToSquare, planeToSlice, resizeBilinear } from '../../data/slices.js';
import { readFixture } from './fixtures.js';

interface Case { height: number; width: number; outHeight: number; outWidth: number; input: number[]; output: number[] }
const { cases } = readFixture<{ cases: Case[] }>('resize.json');

for (const c of cases) {
  test(`resizeBilinear [${c.height},${c.width}] -> [${c.outHeight},${c.outWidth}] matches torch interpolate(antialias=True)`, () => {
    const out = resizeBilinear(Float32Array.from(c.input), c.height, c.width, c.outHeight, c.outWidth);
    assert.is(out.length, c.output.length);
    const worst = Math.max(...c.output.map((want, i) => Math.abs(out[i]! - want)));
    assert.ok(worst < 1e-5, `max error ${worst}`);
  });
}

test('resizeBilinear keeps a constant image constant and copies at the same size', () => {
  const flat = new Float32Array(7 * 9).fill(3.5);
  for (const v of resizeBilinear(flat, 7, 9, 4, 13)) assert.ok(Math.abs(v - 3.5) < 1e-6);
  const src = Float32Array.from({ length: 12 }, (_, i) => i);
  const same = resizeBilinear(src, 3, 4, 3, 4);
  assert.equal([...same], [...src]);
  assert.is.not(same, src);
});

test('minMaxNormalize maps to [0, 1] as (x - min) / (max - min + epsilon), the reference\'s 1e-8 by default; a constant image to zeros', () => {
  assert.equal([...minMaxNormalize(Float32Array.from([2, 4, 6]))].map((v) => +v.toFixed(6)), [0, 0.5, 1]);
  assert.equal([...minMaxNormalize(new Float32Array(3).fill(5))], [0, 0, 0]);
  // Exact min-max (epsilon 0): min to 0 and max to 1 exactly, affinely; still zeros for a constant image, never NaN.
  assert.equal([...minMaxNormalize(Float32Array.from([300, 100, 200, 150]), 0)], [1, 0, 0.5, 0.25]);
  assert.equal([...minMaxNormalize(new Float32Array(4).fill(7), 0)], [0, 0, 0, 0]);
  // Where the epsilon shows: a range of 1e-6 loses 1% of its top with it.
  const tiny = [0, 0.5e-6, 1e-6, 0];
  assert.equal([...minMaxNormalize(Float32Array.from(tiny), 0)].map((v) => +v.toFixed(4)), [0, 0.5, 1, 0]);
  assert.equal([...minMaxNormalize(Float32Array.from(tiny))].map((v) => +v.toFixed(4)), [0, 0.495, 0.9901, 0]);
});

test('padToSquare centres the plane on its minimum; planeToSlice keeps the aspect ratio', () => {
  const { image, side } = padToSquare(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3); // [2, 3]
  assert.is(side, 3);
  assert.equal([...image], [1, 2, 3, 4, 5, 6, 1, 1, 1]);
  // A bright bar across a wide plane stays a horizontal bar, not a full square.
  const plane = new Float32Array(4 * 8);
  for (let x = 0; x < 8; x++) plane[1 * 8 + x] = plane[2 * 8 + x] = 1;
  const slice = planeToSlice(plane, 4, 8, 8);
  assert.is(slice[0], 0); // top rows are padding
  assert.ok(slice[4 * 8 + 4]! > 0.9, 'the bar is in the middle rows');
});

test.run();
