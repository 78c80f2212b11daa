/**
 * Gradient accumulation into a leaf used twice: conv2d and convTranspose2d add their weight and
 * bias gradients into the ones the leaf already holds, in place and in the
 * same kernel call (engine/tape.ts gradToAddInto); the result must equal the
 * sum of each use's gradient taken alone, plain and per sample, on every
 * backend; and a gradient that a view shares is summed anew, not in place.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, conv2d, convTranspose2d, mul, randn, Rng, sum, tensor, tidy, type Tensor } from '../../engine/index.js';
import { assertTensorsClose, everyBackend, testOn } from '../helpers/backends.js';

/** A fresh leaf with t's values. */
async function leafLike(t: Tensor): Promise<Tensor> {
  return tensor(await t.data(), t.shape, { requiresGrad: true });
}

/** conv2d and convTranspose2d, 2 -> 4 channels, 3x3, padding 1 (the size kept), with their weights' shapes. */
const convs = [
  { name: 'conv2d', weight: [4, 2, 3, 3], apply: (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { padding: 1 }) },
  { name: 'convTranspose2d', weight: [2, 4, 3, 3], apply: (x: Tensor, w: Tensor, b: Tensor) => convTranspose2d(x, w, b, { padding: 1 }) },
];

for (const backend of everyBackend) {
  for (const { name, weight, apply } of convs) {
    for (const perSample of [0, 3]) {
      testOn(backend, `${name}'s weight and bias used twice in one graph get the sum of each use's gradients${perSample ? ' (per sample)' : ''}`, async () => {
        const rng = new Rng(12);
        const [x1, x2] = [randn([3, 2, 6, 6], { rng }), randn([3, 2, 6, 6], { rng })];
        const w = randn(weight, { rng, requiresGrad: true });
        const b = randn([4], { rng, requiresGrad: true });
        const uses = [(ww: Tensor, bb: Tensor) => mul(apply(x1, ww, bb), apply(x1, ww, bb)), (ww: Tensor, bb: Tensor) => apply(x2, ww, bb)];
        tidy(() => sum(add(uses[0]!(w, b), uses[1]!(w, b))).backward({ perSample }));
        const alone: Tensor[] = [];
        for (const use of uses) {
          const [ww, bb] = [await leafLike(w), await leafLike(b)];
          tidy(() => sum(use(ww, bb)).backward({ perSample }));
          alone.push(ww.grad!.alias(), bb.grad!.alias());
          ww.dispose();
          bb.dispose();
        }
        const [expectedW, expectedB] = [add(alone[0]!, alone[2]!), add(alone[1]!, alone[3]!)];
        await assertTensorsClose(w.grad!, expectedW, 'weight gradient');
        await assertTensorsClose(b.grad!, expectedB, 'bias gradient');
        for (const t of [x1, x2, w, b, expectedW, expectedB, ...alone]) t.dispose();
      });
    }
  }
}

test('a gradient that a view shares is not added into in place: the view keeps its values', async () => {
  const rng = new Rng(13);
  const x = randn([2, 1, 4, 4], { rng });
  const w = randn([2, 1, 3, 3], { rng, requiresGrad: true });
  sum(conv2d(x, w)).backward();
  const view = w.grad!.alias();
  const first = await view.data();
  sum(conv2d(x, w)).backward();
  assert.equal(await view.data(), first);
  const twice = await w.grad!.data();
  twice.forEach((v, i) => assert.ok(Math.abs(v - 2 * first[i]!) <= 1e-5 * Math.abs(v) + 1e-6, `element ${i}`));
  for (const t of [x, w, view]) t.dispose();
});

test.run();
