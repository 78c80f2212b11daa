/**
 * The point-wise loss kernels on every backend against js: pointLoss (the
 * mean) and pointLossBackward (its gradient, scaled by a device-held dy), for
 * each loss op, with a tensor and a constant target, on a single element, an
 * odd size (SIMD's tail) and one past wasm's threading threshold.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import { lossOps, type Handle } from '../../../engine/backend.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240618);
const cases: KernelCase[] = [];

for (const op of lossOps) {
  for (const n of [1, 37, 70001]) {
    for (const target of [null, 0.25]) {
      const name = `${op} n=${n} ${target === null ? 'tensor target' : `target ${target}`}`;
      const b = (inputs: Handle[]) => (target === null ? inputs[1]! : null);
      cases.push({
        name: `pointLoss ${name}`,
        inputs: target === null ? [values(rng, n), values(rng, n)] : [values(rng, n)],
        outputs: [1],
        call: (be, inputs, [y]) => be.pointLoss(op, inputs[0]!, b(inputs), target ?? 0, y!),
      });
      cases.push({
        name: `pointLossBackward ${name}`,
        inputs: [Float32Array.of(-1.75), ...(target === null ? [values(rng, n), values(rng, n)] : [values(rng, n)])],
        outputs: [n],
        call: (be, [dy, ...inputs], [da]) => be.pointLossBackward(op, inputs[0]!, b(inputs), target ?? 0, dy!, da!),
      });
    }
  }
}

kernelTable(cases);
test.run();
