import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keep, mul, randn, randomNormal, Rng, sum, tensor, tidy } from '../../engine/index.js';
import { sanitiseImageGradient } from '../../fed/dp/gswgan.js';

test('GS-WGAN sanitiser clips each sample to C/N and adds sigma*sensitivity*C/N noise', async () => {
  // loss = sum(w * x): the gradient reaching x is w, whose per-sample norms we choose.
  const w = keep(tensor([3, 4, 0.03, 0.04], [2, 1, 1, 2])); // sample norms 5 and 0.05
  const x = keep(randn([2, 1, 1, 2], { requiresGrad: true }));
  const clip = 1;
  tidy(() => sum(mul(sanitiseImageGradient(x, { clip, noise: 0.5, sensitivity: 2, rng: new Rng(5) }), w)).backward());
  const got = await x.grad!.data();
  const rng = new Rng(5);
  const noise = await randomNormal([4], { seed: rng.nextUint32(), seedHigh: rng.nextUint32(), counter: 0 }).data(); // the sanitiser's stream: both key words from its rng
  const bound = clip / 2;
  const expected = [3 * (bound / 5), 4 * (bound / 5), 0.03, 0.04].map((v, i) => v + noise[i]! * 0.5 * 2 * bound);
  expected.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-5, `${got[i]} vs ${v}`));
});

test.run();
