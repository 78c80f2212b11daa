/**
 * Engine ops end to end on webgpu against js: the browser page's engine
 * checks (web/checks.ts: forward values and every gradient, per sample too,
 * Adam steps), and a flat memory curve over training steps. The same seeded
 * inputs go to both backends.
 */
import * as assert from 'uvu/assert';
import { conv2d, l1Loss, memory, optim, Rng, tanh, tensor, tidy, type Tensor } from '../../../engine/index.js';
import { JsBackend } from '../../../engine/backends/js/index.js';
import { engineChecks } from '../../../web/checks.js';
import { assertClose, gpuSuite, onBackend, randomValues, webgpuForTests } from './webgpu-setup.js';

const gpu = await webgpuForTests();
const { test, run } = gpuSuite('webgpu ops', gpu);
const js = new JsBackend();

/** A tensor of seeded normal values (the same on every backend for the same rng state). */
function input(rng: Rng, shape: number[], requiresGrad = true): Tensor {
  return tensor(randomValues(rng, shape.reduce((a, b) => a * b, 1)), shape, { requiresGrad });
}

/** Runs a check on js and on webgpu; compares every tensor it returns to 1e-4 relative. */
for (const check of engineChecks) {
  test(check.name, async (b) => {
    const values = async () => {
      const read: Record<string, Float32Array> = {};
      for (const [name, t] of Object.entries(check.run())) read[name] = await t.data();
      return read;
    };
    const expected = await onBackend(js, values);
    const actual = await onBackend(b, values);
    assert.equal(Object.keys(actual), Object.keys(expected));
    for (const name of Object.keys(expected)) assertClose(actual[name]!, expected[name]!, 1e-4, name);
  });
}

test('training steps hold tensors, handles, bytes and the pool flat', async (b) => {
  await onBackend(b, async () => {
    const rng = new Rng(12);
    const w = input(rng, [7, 3, 3, 3]);
    const adam = new optim.Adam([w]);
    const x = input(rng, [2, 3, 11, 9], false);
    const step = async () => {
      const loss = tidy(() => {
        const l = l1Loss(tanh(conv2d(x, w, undefined, { padding: 1 })), 0);
        l.backward();
        return l;
      });
      adam.step();
      adam.zeroGrad();
      await loss.data();
      loss.dispose();
    };
    await step();
    const before = { ...memory(), pooled: b.runtime.pooledBytes };
    for (let i = 0; i < 5; i++) await step();
    assert.equal({ ...memory(), pooled: b.runtime.pooledBytes }, before);
    adam.dispose();
    for (const t of [w, x]) t.dispose();
  });
});

run();
