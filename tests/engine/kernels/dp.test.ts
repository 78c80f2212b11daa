/**
 * DP-SGD's kernels on every backend against js: sumSquaresPerSample (fresh
 * and accumulating) and clippedSumWithNoise, on odd sizes (a block of four
 * cut short) and one past wasm's threading threshold.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240616);
const cases: KernelCase[] = [];

for (const [batch, size] of [[3, 35], [3, 11], [3, 40001], [1, 1]] as const) {
  const name = `batch=${batch} size=${size}`;
  for (const accumulate of [false, true]) {
    cases.push({
      name: `sumSquaresPerSample ${name}${accumulate ? ' accumulate' : ''}`,
      inputs: [values(rng, batch * size)],
      outputs: [accumulate ? values(rng, batch, 0, 5) : batch],
      call: (b, [x], [squares]) => b.sumSquaresPerSample(x!, squares!, size, accumulate),
    });
  }
  const g = { batch, size, noiseStd: 1.3, scale: 0.25, key: { seed: 99, counter: size } };
  cases.push({
    name: `clippedSumWithNoise ${name}`,
    inputs: [values(rng, batch * size), values(rng, batch, 0, 1)],
    outputs: [size],
    call: (b, [x, factors], [y]) => b.clippedSumWithNoise(x!, factors!, y!, g),
  });
}

kernelTable(cases);
test.run();
