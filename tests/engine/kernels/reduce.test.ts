/**
 * reduceSum on every backend against js: short and long reductions, over the
 * last axis and strided, one value, and an empty reduction (zeros).
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240612);
const shapes: [number, number, number][] = [
  [3, 13, 7], [3, 7, 13], [13, 1037, 1], [13, 1000, 1], [1, 7, 1], [1, 1, 1], [2, 3000, 37], [7, 70001, 1], [1, 5001, 3], [5000, 3, 1], [5, 1, 9], [2, 0, 3],
];
const cases: KernelCase[] = shapes.map(([outer, reduce, inner]) => ({
  name: `reduceSum [${outer}, ${reduce}, ${inner}]`,
  inputs: [values(rng, outer * reduce * inner)],
  outputs: [outer * inner],
  call: (b, [x], [y]) => b.reduceSum(x!, y!, { outer, reduce, inner }),
}));

kernelTable(cases);
test.run();
