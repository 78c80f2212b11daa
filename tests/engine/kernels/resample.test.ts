/**
 * Average pooling, nearest upsampling and reflection padding, forward and
 * backward, on every backend against js: padding counted and not, strides
 * that leave a remainder, scales 1 to 3, pads as wide as the plane allows.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import type { PadGeometry, PoolGeometry } from '../../../engine/backend.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240614);
const cases: KernelCase[] = [];

function pool(planes: number, inH: number, inW: number, k: number, stride: number, pad: number, countIncludePad: boolean): PoolGeometry {
  const outH = Math.floor((inH + 2 * pad - k) / stride) + 1;
  const outW = Math.floor((inW + 2 * pad - k) / stride) + 1;
  return { planes, inH, inW, outH, outW, kH: k, kW: k, strideH: stride, strideW: stride, padH: pad, padW: pad, countIncludePad };
}
const pools = [
  pool(7, 13, 11, 3, 2, 1, false),
  pool(7, 13, 11, 3, 2, 1, true),
  pool(3, 9, 10, 2, 2, 0, true),
  pool(13, 5, 7, 3, 1, 1, false),
  pool(3, 7, 9, 2, 2, 0, true),
  pool(7, 5, 5, 3, 1, 1, true),
  pool(7, 5, 5, 3, 1, 1, false),
  pool(1, 11, 7, 3, 2, 1, false),
];
for (const g of pools) {
  const name = `planes=${g.planes} ${g.inH}x${g.inW} k${g.kH} s${g.strideH} p${g.padH} countIncludePad=${g.countIncludePad}`;
  const [xSize, ySize] = [g.planes * g.inH * g.inW, g.planes * g.outH * g.outW];
  cases.push(
    { name: `avgPool2d ${name}`, inputs: [values(rng, xSize)], outputs: [ySize], call: (b, [x], [y]) => b.avgPool2d(x!, y!, g) },
    { name: `avgPool2dBackward ${name}`, inputs: [values(rng, ySize)], outputs: [xSize], call: (b, [dy], [dx]) => b.avgPool2dBackward(dy!, dx!, g) },
  );
}

for (const [planes, inH, inW, scale] of [[7, 13, 11, 2], [3, 5, 9, 3], [1, 1, 1, 2], [13, 33, 37, 2], [3, 5, 7, 1], [3, 5, 7, 2], [3, 5, 7, 3]] as const) {
  const g = { planes, inH, inW, scale };
  const xSize = planes * inH * inW;
  const ySize = xSize * scale * scale;
  const name = `${planes}x${inH}x${inW} x${scale}`;
  cases.push(
    { name: `upsampleNearest ${name}`, inputs: [values(rng, xSize)], outputs: [ySize], call: (b, [x], [y]) => b.upsampleNearest(x!, y!, g) },
    { name: `upsampleNearestBackward ${name}`, inputs: [values(rng, ySize)], outputs: [xSize], call: (b, [dy], [dx]) => b.upsampleNearestBackward(dy!, dx!, g) },
  );
}

const pads: PadGeometry[] = [
  { planes: 3, inH: 7, inW: 9, top: 1, bottom: 2, left: 3, right: 1 },
  { planes: 13, inH: 5, inW: 5, top: 3, bottom: 3, left: 3, right: 3 },
  { planes: 1, inH: 4, inW: 1, top: 1, bottom: 1, left: 0, right: 0 },
  { planes: 7, inH: 37, inW: 41, top: 3, bottom: 3, left: 3, right: 3 },
  { planes: 3, inH: 5, inW: 7, top: 1, bottom: 1, left: 1, right: 1 },
  { planes: 13, inH: 5, inW: 7, top: 4, bottom: 2, left: 1, right: 6 },
  { planes: 1, inH: 2, inW: 3, top: 1, bottom: 0, left: 2, right: 2 },
];
for (const g of pads) {
  const xSize = g.planes * g.inH * g.inW;
  const ySize = g.planes * (g.inH + g.top + g.bottom) * (g.inW + g.left + g.right);
  const name = `${g.planes}x${g.inH}x${g.inW} pads ${g.top},${g.bottom},${g.left},${g.right}`;
  cases.push(
    { name: `padReflect ${name}`, inputs: [values(rng, xSize)], outputs: [ySize], call: (b, [x], [y]) => b.padReflect(x!, y!, g) },
    { name: `padReflectBackward ${name}`, inputs: [values(rng, ySize)], outputs: [xSize], call: (b, [dy], [dx]) => b.padReflectBackward(dy!, dx!, g) },
  );
}

kernelTable(cases);
test.run();
