/**
 * CycleGAN learns an unpaired translation at toy scale: domain a holds
 * random smooth images (Gaussian blobs on a -1 background), domain b the
 * same kind of images (drawn independently) under the contrast change
 * b = 0.5 a + 0.5. After 40 steps (width 4, 32x32, batch 4, lr 2e-3 to be
 * quick) the a -> b translation of held-out images is much closer to the
 * truth than the untranslated input is, and the cycle loss has fallen.
 * (The phantom-slice test comes with the data layer.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { affine, keep, l1Loss, Rng, tensor, tidy, type Tensor } from '../../engine/index.js';
import { createModel } from '../../models/index.js';

const size = 32;

/** n images of three Gaussian blobs (radius 3-9 px, height 0.5-1.5) on -1, clipped to [-1, 1]. */
function blobs(n: number, rng: Rng): Tensor {
  const values = new Float32Array(n * size * size);
  for (let s = 0; s < n; s++) {
    const image = new Float64Array(size * size);
    for (let k = 0; k < 3; k++) {
      const [cx, cy, r, height] = [rng.uniform() * size, rng.uniform() * size, 3 + 6 * rng.uniform(), 0.5 + rng.uniform()];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) image[y * size + x]! += height * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
      }
    }
    image.forEach((v, i) => (values[s * size * size + i] = Math.min(1, 2 * v - 1)));
  }
  return tensor(values, [n, 1, size, size]);
}

const contrast = (x: Tensor) => affine(x, 0.5, 0.5);

async function meanAbs(x: Tensor, y: Tensor): Promise<number> {
  const loss = tidy(() => l1Loss(x, y));
  const value = await loss.item();
  loss.dispose();
  return value;
}

test('cyclegan w=4 32x32: 40 unpaired steps learn b = 0.5 a + 0.5 (held-out error < 0.4 x the input baseline)', async () => {
  const model = createModel('cyclegan', { width: 4, size, lr: 2e-3 });
  const rng = new Rng(11);
  const heldOut = keep(blobs(8, new Rng(99)));
  const truth = keep(contrast(heldOut));
  const baseline = await meanAbs(heldOut, truth);
  const cycle: number[] = [];
  for (let step = 0; step < 40; step++) {
    const batch = { a: blobs(4, rng), b: tidy(() => contrast(blobs(4, rng))) };
    cycle.push((await model.trainStep(batch)).cycle!);
    batch.a.dispose();
    batch.b.dispose();
  }
  const translated = model.translate(heldOut, 'a2b');
  const error = await meanAbs(translated, truth);
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(error < 0.4 * baseline, `held-out error ${error.toFixed(4)} vs input baseline ${baseline.toFixed(4)}`);
  assert.ok(mean(cycle.slice(-10)) < 0.75 * mean(cycle.slice(0, 5)), `cycle loss ${cycle.map((c) => c.toFixed(3)).join(' ')}`);
  for (const t of [translated, heldOut, truth]) t.dispose();
  model.dispose();
});

test.run();
