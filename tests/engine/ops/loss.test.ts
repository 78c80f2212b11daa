/** engine/ops/loss.ts: l1Loss and mseLoss against PyTorch fixtures and finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { l1Loss, mseLoss, randn, Rng, sub } from '../../../engine/index.js';
import { checkOpCase, loadOpCases } from '../../helpers/fixtures.js';
import { gradCheck, randAwayFrom } from '../../helpers/gradcheck.js';

for (const c of loadOpCases('loss')) {
  test(`${c.name} matches PyTorch`, async () => {
    const loss = c.op === 'l1Loss' ? l1Loss : mseLoss;
    await checkOpCase(c, ({ input, target }) => loss(input!, target ?? (c.options.target as number)));
  });
}

const rng = new Rng(81);

test('l1Loss and mseLoss gradients, tensor and constant targets', async () => {
  const input = randAwayFrom([2, 1, 3, 3], [0.5], rng);
  await gradCheck('mseLoss', (p, q) => mseLoss(p!, q!), [input, randn([2, 1, 3, 3], { rng })]);
  await gradCheck('mseLoss vs 1', (p) => mseLoss(p!, 1), [input]);
  await gradCheck('l1Loss vs 0.5', (p) => l1Loss(p!, 0.5), [input]);
  // input - target kept at least 0.1 from l1's kink, so that a step of 1e-2 never crosses it.
  const target = sub(input, randAwayFrom([2, 1, 3, 3], [0], rng, 0.1));
  await gradCheck('l1Loss', (p, q) => l1Loss(p!, q!), [input, target]);
});

test('losses refuse different shapes', () => {
  assert.throws(() => l1Loss(randn([2, 3]), randn([3, 2])), /l1Loss: .* differ in shape/);
});

test.run();
