/**
 * engine/optim/adam.ts (one fused kernel per parameter) against torch.optim.Adam,
 * parameters and moments over five steps, and against the unfused composition
 * of element-wise kernels it replaced, on js, wasm and webgpu (skipped without
 * an adapter unless FEDMED_REQUIRE_WEBGPU=1).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, div, memory, mul, noGrad, optim, randn, Rng, sqrt, square, sum, tensor, tidy, zeros, type Tensor } from '../../engine/index.js';
import { assertTensorsClose, everyBackend, testOn } from '../helpers/backends.js';
import { assertTensorClose, fixtureTensor, loadFixture, relativeError, unpack, type Packed } from '../helpers/fixtures.js';

interface AdamCase {
  name: string;
  options: { lr: number; betas: [number, number]; eps: number; weightDecay: number };
  initial: Packed[];
  steps: { grads: (Packed | null)[]; params: Packed[]; expAvg: Packed[]; expAvgSq: Packed[] }[];
}

/** torch.optim.Adam's step written with element-wise ops, as the optimizer was before its kernel. */
function unfusedAdamStep(p: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: number, o: Required<optim.AdamOptions>): void {
  const [b1, b2] = o.betas;
  noGrad(() =>
    tidy(() => {
      const g = add(grad, mul(p, o.weightDecay));
      m.assign(add(mul(m, b1), mul(g, 1 - b1)));
      v.assign(add(mul(v, b2), mul(square(g), 1 - b2)));
      const denom = add(mul(sqrt(v), 1 / Math.sqrt(1 - b2 ** step)), o.eps);
      p.assign(add(p, mul(div(m, denom), -o.lr / (1 - b1 ** step))));
    }),
  );
}

for (const backend of everyBackend) {
  for (const c of loadFixture<{ cases: AdamCase[] }>('adam').cases) {
    testOn(backend, `${c.name} matches PyTorch over ${c.steps.length} steps (a parameter skipping one)`, async () => {
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

  testOn(backend, 'the fused kernel equals the unfused composition over three steps (odd sizes, one past the threading threshold; weight decay)', async () => {
    const rng = new Rng(7);
    const options = { lr: 0.01, betas: [0.8, 0.99] as [number, number], eps: 1e-6, weightDecay: 0.05 };
    const fused = [randn([5, 37], { rng, requiresGrad: true }), randn([70001], { rng, requiresGrad: true })];
    const reference = fused.map((p) => p.alias()); // shares the starting values; the optimizer's in-place update must not touch them
    const moments = fused.map((p) => ({ m: zeros(p.shape), v: zeros(p.shape) }));
    const adam = new optim.Adam(fused, options);
    for (let step = 1; step <= 3; step++) {
      const grads = fused.map((p) => randn(p.shape, { rng }));
      fused.forEach((p, i) => (p.grad = grads[i]!));
      adam.step();
      reference.forEach((p, i) => unfusedAdamStep(p, grads[i]!, moments[i]!.m, moments[i]!.v, step, options));
      for (const [i, p] of fused.entries()) {
        p.grad = null;
        grads[i]!.dispose();
        await assertTensorsClose(p, reference[i]!, `step ${step}: parameter ${i}`, 1e-5);
        await assertTensorsClose(adam.state()[i]!.m, moments[i]!.m, `step ${step}: exp_avg ${i}`, 1e-5);
        await assertTensorsClose(adam.state()[i]!.v, moments[i]!.v, `step ${step}: exp_avg_sq ${i}`, 1e-5);
      }
    }
    for (const t of [...fused, ...reference, ...moments.flatMap(({ m, v }) => [m, v])]) t.dispose();
    adam.dispose();
  });
}

test('Adam.step refuses a gradient of another shape (a per-sample one left unreduced) and moves nothing', async () => {
  const p = tensor([1, 2, 3], [3], { requiresGrad: true });
  const other = tensor([4, 5], [2], { requiresGrad: true });
  const adam = new optim.Adam([other, p], { lr: 0.1 });
  other.grad = tensor([1, 1], [2]);
  sum(mul(tensor([1, 1, 1, 100, 100, 100], [2, 3]), p)).backward({ perSample: 2 });
  assert.throws(() => adam.step(), (e: Error) => e.message === 'Adam.step: parameter 1 [3] has a gradient of shape [2,3]');
  assert.equal([...(await p.data())], [1, 2, 3]);
  assert.equal([...(await other.data())], [4, 5]);
  assert.is(adam.stepCount, 0);
  adam.dispose();
  for (const t of [p, other]) t.dispose();
});

test('Adam refuses hyperparameters that make its update NaN or infinite, naming the option', () => {
  const p = tensor([1], [1], { requiresGrad: true });
  const refused: [optim.AdamOptions, RegExp][] = [
    [{ betas: [1, 0.999] }, /^Adam: betas\[0\] must be in \[0, 1\), got 1$/],
    [{ betas: [0.9, -0.1] }, /^Adam: betas\[1\] must be in \[0, 1\), got -0.1$/],
    [{ lr: NaN }, /^Adam: lr must be finite and >= 0, got NaN$/],
    [{ lr: -1 }, /^Adam: lr must be finite and >= 0, got -1$/],
    [{ eps: 0 }, /^Adam: eps must be finite and > 0, got 0$/],
    [{ weightDecay: Infinity }, /^Adam: weightDecay must be finite and >= 0, got Infinity$/],
  ];
  for (const [options, message] of refused) assert.throws(() => new optim.Adam([p], options), message);
  const adam = new optim.Adam([p], { lr: 0 });
  assert.throws(() => (adam.lr = NaN), /^Adam: lr must be finite and >= 0, got NaN$/);
  assert.is(adam.lr, 0);
  adam.dispose();
  p.dispose();
});

test('Adam.loadStateDict refuses a bad step or moments whole, one line naming the entry, and changes nothing', async () => {
  const p = tensor([1, 2, 3], [3], { requiresGrad: true });
  const adam = new optim.Adam([p], { lr: 0.1 });
  p.grad = tensor([1, -1, 1], [3]);
  adam.step();
  const good = await adam.stateDict();
  const before = await adam.stateDict();
  const withEntry = (key: string, shape: number[], values: number[]) => new Map([...good, [`state.0.${key}`, { shape, values: Float32Array.from(values) }]]);
  const refused: [Map<string, { shape: readonly number[]; values: Float32Array }>, RegExp][] = [
    [withEntry('step', [1], [NaN]), /^Adam.loadStateDict: state.0.step holds NaN at 0; values must be a whole number >= 0$/],
    [withEntry('step', [1], [-1]), /state.0.step holds -1 at 0/],
    [withEntry('step', [1], [0.5]), /state.0.step holds 0.5 at 0/],
    [withEntry('exp_avg', [1, 3], [0, 0, 0]), /^Adam.loadStateDict: state.0.exp_avg has shape \[1,3\] and 3 values, expected \[3\]$/],
    [withEntry('exp_avg', [3], [0, 0]), /state.0.exp_avg has shape \[3\] and 2 values, expected \[3\]/],
    [withEntry('exp_avg', [3], [0, Infinity, 0]), /state.0.exp_avg holds Infinity at 1; values must be finite$/],
    [withEntry('exp_avg_sq', [3], [0, 0, -1]), /state.0.exp_avg_sq holds -1 at 2; values must be finite and >= 0$/],
  ];
  for (const [state, message] of refused) {
    assert.throws(() => adam.loadStateDict(state), message);
    assert.equal(await adam.stateDict(), before);
  }
  const missing = new Map(good);
  missing.delete('state.0.step');
  missing.set('state.0.stepp', good.get('state.0.step')!);
  assert.throws(() => adam.loadStateDict(missing), /^Adam.loadStateDict: state.0.step is missing$/);
  adam.loadStateDict(withEntry('step', [1], [0])); // a state before any step: the next is step 1
  assert.is(adam.stepCount, 0);
  adam.dispose();
  p.dispose();
});

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
