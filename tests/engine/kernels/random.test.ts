/**
 * randomNormal on every backend against js: the same seed and counter give
 * the same draws (4099: a block of four cut short), at the ends of the seed
 * and counter ranges too. Rounding aside they are equal: log, cos and sin
 * differ in their last bits between Math, AssemblyScript's Mathf and the GPU's.
 */
import { test } from 'uvu';
import { kernelTable, type KernelCase } from './table.js';

const cases: KernelCase[] = [{ seed: 0, counter: 0 }, { seed: 0xffffffff, counter: 123456789 }].map((key) => ({
  name: `randomNormal n=4099 seed ${key.seed} counter ${key.counter}`,
  inputs: [],
  outputs: [4099],
  call: (b, _, [y]) => b.randomNormal(y!, key),
  rtol: 1e-5,
}));

kernelTable(cases);
test.run();
