import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../engine/index.js';
import { drawMisalignment, warpNearest, type Misalignment } from '../../data/augment.js';

const size = 9;
const ramp = Float32Array.from({ length: size * size }, (_, i) => i + 1); // distinct, non-zero
const at = (img: Float32Array, x: number, y: number) => img[y * size + x]!;

test('draws stay inside their ranges and fill them', () => {
  const cases: [Misalignment, number, number, [number, number]][] = [
    [{ mode: 'slight' }, 3, 0.06, [0.94, 1.06]],
    [{ mode: 'slight', level: 5 }, 5, 0.1, [0.9, 1.1]],
    [{ mode: 'severe' }, 90, 0.12, [0.9, 1.1]],
  ];
  for (const [mode, maxAngle, maxShift, [lo, hi]] of cases) {
    const rng = new Rng(1);
    const draws = Array.from({ length: 4000 }, () => drawMisalignment(rng, mode, 256));
    const angles = draws.map((d) => d.angle), shifts = draws.flatMap((d) => [d.shiftX, d.shiftY]), scales = draws.map((d) => d.scale);
    assert.ok(Math.max(...angles.map(Math.abs)) <= maxAngle && Math.max(...angles) > 0.98 * maxAngle && Math.min(...angles) < -0.98 * maxAngle, `${mode.mode} angle`);
    assert.ok(Math.max(...shifts.map(Math.abs)) <= maxShift * 256 && Math.max(...shifts) > 0.97 * maxShift * 256, `${mode.mode} shift`);
    assert.ok(Math.min(...scales) >= lo && Math.max(...scales) <= hi && Math.min(...scales) < lo + 0.005 && Math.max(...scales) > hi - 0.005, `${mode.mode} scale`);
  }
  const none = drawMisalignment(new Rng(1), { mode: 'none' }, 256);
  assert.equal(none, { angle: 0, shiftX: 0, shiftY: 0, scale: 1 });
});

test('warpNearest: identity, whole-pixel shifts with zero fill, quarter turns, scaling about the centre', () => {
  assert.equal([...warpNearest(ramp, size, { angle: 0, shiftX: 0, shiftY: 0, scale: 1 })], [...ramp]);
  const shifted = warpNearest(ramp, size, { angle: 0, shiftX: 2, shiftY: -1, scale: 1 });
  assert.is(at(shifted, 5, 3), at(ramp, 3, 4));
  assert.is(at(shifted, 0, 0), 0, 'uncovered pixels are 0');
  assert.is(at(shifted, 1, 8), 0);
  // +90 degrees turns clockwise as displayed: the pixel right of centre goes below it.
  const turned = warpNearest(ramp, size, { angle: 90, shiftX: 0, shiftY: 0, scale: 1 });
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) assert.is(at(turned, x, y), at(ramp, y, size - 1 - x));
  const back = warpNearest(turned, size, { angle: -90, shiftX: 0, shiftY: 0, scale: 1 });
  assert.equal([...back], [...ramp]);
  const half = warpNearest(ramp, size, { angle: 0, shiftX: 0, shiftY: 0, scale: 0.5 });
  assert.is(at(half, 4, 4), at(ramp, 4, 4), 'the centre stays');
  assert.is(at(half, 6, 4), at(ramp, 8, 4), 'two pixels out show four pixels out');
  const double = warpNearest(ramp, size, { angle: 0, shiftX: 0, shiftY: 0, scale: 2 });
  assert.is(at(double, 8, 4), at(ramp, 6, 4));
});

test.run();
