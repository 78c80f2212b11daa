/**
 * A long run holds a flat memory curve: 200 training steps of a small conv
 * net (forward, backward, Adam) leave the counts of live tensors, handles and
 * bytes exactly where the first step left them. So do per-sample steps.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keep, manualSeed, memory, mseLoss, mul, nn, optim, randn, sum, tidy, type EngineMemory } from '../../engine/index.js';

function smallNet(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { stride: 2, padding: 1, padMode: 'reflect' }),
    new nn.InstanceNorm2d(4, { affine: true }),
    nn.LeakyReLU(0.2),
    new nn.ConvTranspose2d(4, 1, 4, { stride: 2, padding: 1 }),
    nn.Tanh(),
  );
}

test('200 training steps keep the live tensor count flat (and the loss falls)', async () => {
  manualSeed(5);
  const model = smallNet();
  const adam = new optim.Adam(model.parameters(), { lr: 1e-2, betas: [0.5, 0.999] });
  const images = keep(randn([2, 1, 8, 8]));
  const counts: EngineMemory[] = [];
  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    const loss = tidy(() => {
      const l = mseLoss(model.forward(images), images);
      l.backward();
      return l;
    });
    adam.step();
    adam.zeroGrad();
    losses.push(await loss.item());
    loss.dispose();
    counts.push(memory());
  }
  for (const [step, m] of counts.entries()) assert.equal(m, counts[0], `after step ${step + 1}`);
  assert.ok(losses[199]! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses[199]}`);
  model.dispose();
  adam.dispose();
  images.dispose();
});

test('per-sample backward steps keep memory flat too', () => {
  manualSeed(6);
  const model = smallNet();
  const images = keep(randn([3, 1, 8, 8]));
  const counts: EngineMemory[] = [];
  for (let step = 0; step < 20; step++) {
    tidy(() => sum(mul(model.forward(images), images)).backward({ perSample: 3 }));
    for (const p of model.parameters()) {
      p.grad!.dispose();
      p.grad = null;
    }
    counts.push(memory());
  }
  for (const [step, m] of counts.entries()) assert.equal(m, counts[0], `after step ${step + 1}`);
  model.dispose();
  images.dispose();
});

test.run();
