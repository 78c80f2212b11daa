/** engine/optim/adam.ts against torch.optim.Adam: parameters and moments over five steps. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memory, optim, tensor, type Tensor } from '../../engine/index.js';
import { assertTensorClose, fixtureTensor, loadFixture, relativeError, unpack, type Packed } from '../helpers/fixtures.js';

interface AdamCase {
  name: string;
  options: { lr: number; betas: [number, number]; eps: number; weightDecay: number };
  initial: Packed[];
  steps: { grads: (Packed | null)[]; params: Packed[]; expAvg: Packed[]; expAvgSq: Packed[] }[];
}

for (const c of loadFixture<{ cases: AdamCase[] }>('adam').cases) {
  test(`${c.name} matches PyTorch over ${c.steps.length} steps (a parameter skipping one)`, async () => {
    const params: Tensor[] = c.initial.map((p) => fixtureTensor(p, true));
    const adam = new optim.Adam(params, c.options);
    for (const [s, step] of c.steps.entries()) {
      params.forEach((p, i) => {
        const g = step.grads[i];
        p.grad = g ? fixtureTensor(g) : null;
      });
      const previousOwn = await Promise.all(params.map((p) => p.data()));
      const before = memory();
      adam.step();
      assert.equal(memory(), before, `step ${s + 1} left tensors behind`);
      for (const [i, p] of params.entries()) {
        await assertTensorClose(p, step.params[i]!, 1e-5, `step ${s + 1}: parameter ${i}`);
        // The update itself, so that parameters much larger than lr cannot hide an error in it.
        const previous = unpack(s === 0 ? c.initial[i]! : c.steps[s - 1]!.params[i]!);
        const expected = unpack(step.params[i]!);
        const actual = await p.data();
        const error = relativeError(Array.from(actual, (v, k) => v - previousOwn[i]![k]!), Array.from(expected, (v, k) => v - previous[k]!));
        assert.ok(error < 1e-4, `step ${s + 1}: update of parameter ${i}: relative error ${error.toExponential(2)}`);
        const moments = adam.state()[i]!;
        await assertTensorClose(moments.m, step.expAvg[i]!, 1e-4, `step ${s + 1}: exp_avg ${i}`);
        await assertTensorClose(moments.v, step.expAvgSq[i]!, 1e-4, `step ${s + 1}: exp_avg_sq ${i}`);
      }
      adam.zeroGrad();
    }
    adam.dispose();
    params.forEach((p) => p.dispose());
  });
}

test('Adam state saved mid-run and restored continues exactly like the uninterrupted optimizer', async () => {
  const start = [0.5, -1, 2];
  const grads = [[0.1, 0.2, -0.3], [0.4, -0.1, 0.2], [-0.2, 0.3, 0.1]];
  const run = async (restoreAfter: number | null) => {
    let p = tensor(start, [3], { requiresGrad: true });
    let adam = new optim.Adam([p], { lr: 0.1, betas: [0.5, 0.999] });
    for (const [k, g] of grads.entries()) {
      p.grad = tensor(g, [3]);
      adam.step();
      adam.zeroGrad();
      if (k === restoreAfter) {
        const saved = await adam.stateDict();
        const values = await p.data();
        adam.dispose();
        p.dispose();
        p = tensor(values, [3], { requiresGrad: true });
        adam = new optim.Adam([p], { lr: 0.1, betas: [0.5, 0.999] });
        adam.loadStateDict(saved);
      }
    }
    const out = [...(await p.data())];
    adam.dispose();
    p.dispose();
    return out;
  };
  assert.equal(await run(0), await run(null));
  assert.equal(await run(1), await run(null));
});

test.run();
