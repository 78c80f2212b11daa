/**
 * The adam kernel on every backend against js: parameters and both moments
 * updated in place, with and without weight decay, early and late in a run
 * (bias corrections far from and near 1), on an odd size and one past wasm's
 * threading threshold, one parameter alone and a list of parameters at
 * different step counts in one call.
 */
import { test } from 'uvu';
import { Rng } from '../../../engine/index.js';
import type { AdamEntry, AdamStep, Handle } from '../../../engine/backend.js';
import { kernelTable, values, type KernelCase } from './table.js';

const rng = new Rng(20240617);
const cases: KernelCase[] = [];

/** A parameter's bias corrections at step t. */
function corrections(t: number, lr: number, s: AdamStep): Pick<AdamEntry, 'stepSize' | 'sqrtCorrection2'> {
  return { stepSize: lr / (1 - s.beta1 ** t), sqrtCorrection2: Math.sqrt(1 - s.beta2 ** t) };
}

/** Outputs of one parameter: param, m, v (inputs: its grad). */
function parameter(n: number): Float32Array[] {
  return [values(rng, n), values(rng, n, -0.1, 0.1), values(rng, n, 0, 0.01)];
}

/** Entries for parameters k at steps[k]: grads[k], and outputs param, m, v three by three. */
function entries(grads: Handle[], outputs: Handle[], steps: readonly number[], lr: number, s: AdamStep): AdamEntry[] {
  return steps.map((t, k) => ({ param: outputs[3 * k]!, grad: grads[k]!, m: outputs[3 * k + 1]!, v: outputs[3 * k + 2]!, ...corrections(t, lr, s) }));
}

const early: AdamStep = { beta1: 0.5, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
const late: AdamStep = { beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.05 };
for (const n of [185, 70001]) {
  for (const [what, s, t, lr] of [['step 1', early, 1, 2e-4], ['step 40 weight decay', late, 40, 0.01]] as const) {
    cases.push({
      name: `adam n=${n} ${what}`,
      inputs: [values(rng, n)],
      outputs: parameter(n),
      call: (b, grads, outputs) => b.adam(entries(grads, outputs, [t], lr, s), s),
    });
  }
}
const sizes = [3, 185, 8192, 40001];
const steps = [1, 7, 40, 2];
cases.push({
  name: `adam list of ${sizes.length} (sizes ${sizes}, steps ${steps}) weight decay`,
  inputs: sizes.map((n) => values(rng, n)),
  outputs: sizes.flatMap(parameter),
  call: (b, grads, outputs) => b.adam(entries(grads, outputs, steps, 0.01, late), late),
});

kernelTable(cases);
test.run();
