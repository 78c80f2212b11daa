/**
 * randomNormal on every backend against js: the same key (both seed words)
 * and counter give the same draws (4099 and 4102: the first or the second of
 * wasm's last four blocks cut short), at the ends of the seed and counter
 * ranges too, and with a second seed word whose top bit is set. Rounding
 * aside they are equal: log, cos and sin differ in their last bits between
 * Math (f64), the wasm kernel's f32x4 polynomials (kernels/wasm/mathf.ts) and
 * the GPU's.
 */
import { test } from 'uvu';
import type { RandomKey } from '../../../engine/index.js';
import { kernelTable, type KernelCase } from './table.js';

const draws: [number, Required<RandomKey>][] = [
  [4099, { seed: 0, seedHigh: 0, counter: 0 }],
  [4102, { seed: 0xffffffff, seedHigh: 0xffffffff, counter: 123456789 }],
  [4099, { seed: 7, seedHigh: 0x9e3779b9, counter: 3 }],
];
const cases: KernelCase[] = draws.map(([n, key]) => ({
  name: `randomNormal n=${n} seed ${key.seed}:${key.seedHigh} counter ${key.counter}`,
  inputs: [],
  outputs: [n],
  call: (b, _, [y]) => b.randomNormal(y!, key),
  rtol: 1e-5,
}));

kernelTable(cases);
test.run();
