import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { comparisonGrid, composeGrid, unitToByte } from '../../eval/grid.js';

const size = { height: 2, width: 3 };
const fill = (v: number) => new Float32Array(6).fill(v);

test('unitToByte rounds [0, 1] to 0..255 and clamps; NaN is 0', () => {
  assert.equal([0, 1, 0.5, 1 / 255, -0.2, 1.7, NaN].map(unitToByte), [0, 255, 128, 1, 0, 255, 0]);
});

test('comparisonGrid: 2 rows of (input | synthesized | target) 2x3 with gap 1', () => {
  const grid = comparisonGrid(
    [
      { input: fill(0), synthesized: fill(0.2), target: fill(0.4) },
      { input: fill(0.6), synthesized: fill(0.8), target: Float32Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5]) },
    ],
    size,
    { gap: 1, background: 1 },
  );
  assert.equal([grid.width, grid.height, grid.channels], [3 * 3 + 2, 2 * 2 + 1, 1]);
  const rows = Array.from({ length: grid.height }, (_, y) => [...grid.pixels.subarray(y * grid.width, (y + 1) * grid.width)]);
  const W = 255;
  assert.equal(rows, [
    [0, 0, 0, W, 51, 51, 51, W, 102, 102, 102],
    [0, 0, 0, W, 51, 51, 51, W, 102, 102, 102],
    [W, W, W, W, W, W, W, W, W, W, W],
    [153, 153, 153, W, 204, 204, 204, W, 0, 26, 51],
    [153, 153, 153, W, 204, 204, 204, W, 77, 102, 128],
  ]);
});

test('composeGrid: no gap, dark background, one column', () => {
  const grid = composeGrid([[fill(1)], [fill(0.5)]], size, { gap: 0, background: 0 });
  assert.equal([grid.width, grid.height], [3, 4]);
  assert.equal([...grid.pixels], [255, 255, 255, 255, 255, 255, 128, 128, 128, 128, 128, 128]);
});

test('composeGrid refuses ragged rows and wrongly sized cells', () => {
  assert.throws(() => composeGrid([[fill(0), fill(0)], [fill(0)]], size), /row 1 has 1 cells, row 0 has 2/);
  assert.throws(() => composeGrid([[fill(0), new Float32Array(5)]], size), /cell \(0, 1\) has 5 values, not 2x3/);
  assert.throws(() => composeGrid([], size), /no cells/);
});

test.run();
