/**
 * The adam kernel on every backend against js: the parameter and both
 * moments updated in place, with and without weight decay, early and late
 * in a run (bias corrections far from and near 1), on an odd size and one
 * past wasm's threading threshold.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import type { AdamStep } from '../../../engine/backend.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240617);
const cases: KernelCase[] = [];

/** torch.optim.Adam's scalars for step t. */
function step(t: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number): AdamStep {
  return { beta1, beta2, eps, weightDecay, stepSize: lr / (1 - beta1 ** t), sqrtCorrection2: Math.sqrt(1 - beta2 ** t) };
}

for (const n of [185, 70001]) {
  for (const [what, s] of [['step 1', step(1, 2e-4, 0.5, 0.999, 1e-8, 0)], ['step 40 weight decay', step(40, 0.01, 0.8, 0.99, 1e-6, 0.05)]] as const) {
    cases.push({
      name: `adam n=${n} ${what}`,
      inputs: [values(rng, n)],
      outputs: [values(rng, n), values(rng, n, -0.1, 0.1), values(rng, n, 0, 0.01)],
      call: (b, [grad], [param, m, v]) => b.adam(param!, grad!, m!, v!, s),
    });
  }
}

kernelTable(cases);
test.run();
