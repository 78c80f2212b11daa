/**
 * DP-SGD's kernels on every backend against js: sumSquaresPerSample and
 * clippedSumWithNoise over one tensor and over a list of tensors in one
 * call, on odd sizes (a block of four cut short) and one past wasm's
 * threading threshold.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240616);
const cases: KernelCase[] = [];

const lists: [number, number[]][] = [[3, [35]], [3, [11]], [3, [40001]], [1, [1]], [3, [35, 1, 4, 40001, 9]], [2, [8, 8]]];
for (const [batch, sizes] of lists) {
  const name = `batch=${batch} size${sizes.length > 1 ? 's' : ''}=${sizes}`;
  cases.push({
    name: `sumSquaresPerSample ${name}`,
    inputs: sizes.map((size) => values(rng, batch * size)),
    outputs: [batch],
    call: (b, xs, [squares]) => b.sumSquaresPerSample(xs, squares!),
  });
  const g = { batch, noiseStd: 1.3, scale: 0.25, key: { seed: 99, seedHigh: 0x80000001, counter: sizes[0]! } };
  cases.push({
    name: `clippedSumWithNoise ${name}`,
    inputs: [values(rng, batch, 0, 1), ...sizes.map((size) => values(rng, batch * size))],
    outputs: sizes,
    call: (b, [factors, ...xs], ys) => b.clippedSumWithNoise(xs, factors!, ys, g),
  });
}

// The main job's 514,820 noised parameters in one sample: a norm summed in f32 alone came out 1.3e-5 low on
// wasm, so that a clipped unit exceeded the bound the accountant assumes; kept to the js (f64) sum's rounding.
cases.push({
  name: 'sumSquaresPerSample batch=2 size=514820, to 1e-6',
  inputs: [values(rng, 2 * 514820)],
  outputs: [2],
  call: (b, [x], [squares]) => b.sumSquaresPerSample([x!], squares!),
  rtol: 1e-6,
});

// A unit whose gradient is not finite: its norm is NaN or infinite, so its factor is NaN or 0, and it is left out.
for (const [factor, bad] of [[NaN, NaN], [0, Infinity], [NaN, -Infinity]] as const) {
  const size = 37;
  const gradients = values(rng, 3 * size);
  for (let i = size; i < 2 * size; i += 5) gradients[i] = bad; // sample 1
  const factors = values(rng, 3, 0, 1);
  factors[1] = factor;
  cases.push({
    name: `clippedSumWithNoise sample 1's gradient holds ${bad}, its factor ${factor}`,
    inputs: [factors, gradients],
    outputs: [size],
    call: (b, [f, x], [y]) => b.clippedSumWithNoise([x!], f!, [y!], { batch: 3, noiseStd: 0.7, scale: 0.5, key: { seed: 5, seedHigh: 6, counter: 7 } }),
  });
}

kernelTable(cases);
test.run();
