/** engine/ops/loss.ts: l1Loss and mseLoss against PyTorch fixtures and finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { abs, l1Loss, mean, mseLoss, randn, Rng, square, sub, tensor, tidy, type Tensor } from '../../../engine/index.js';
import { assertTensorsClose, everyBackend, testOn } from '../../helpers/backends.js';
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

for (const backend of everyBackend) {
  testOn(backend, 'l1Loss and mseLoss (one kernel each way) equal mean(abs(sub)) and mean(square(sub)), values and both gradients', async () => {
    const rng = new Rng(82);
    const [a0, b0] = [randn([2, 3, 5, 7], { rng }), randn([2, 3, 5, 7], { rng })];
    const leaves = async () => [tensor(await a0.data(), a0.shape, { requiresGrad: true }), tensor(await b0.data(), b0.shape, { requiresGrad: true })];
    const pairs: [string, (a: Tensor, b: Tensor | number) => Tensor, (d: Tensor) => Tensor][] = [['l1Loss', l1Loss, abs], ['mseLoss', mseLoss, square]];
    for (const [name, fused, pointwise] of pairs) {
      for (const constant of [false, true]) {
        const [a, b] = await leaves();
        const [ua, ub] = await leaves();
        const value = tidy(() => {
          const y = fused(a!, constant ? 0.25 : b!);
          y.backward();
          return y;
        });
        const expected = tidy(() => {
          const y = mean(pointwise(sub(ua!, constant ? 0.25 : ub!)));
          y.backward();
          return y;
        });
        const what = `${name}${constant ? ' vs 0.25' : ''}`;
        await assertTensorsClose(value, expected, `${what}: value`);
        await assertTensorsClose(a!.grad!, ua!.grad!, `${what}: input gradient`);
        if (!constant) await assertTensorsClose(b!.grad!, ub!.grad!, `${what}: target gradient`);
        for (const t of [a!, b!, ua!, ub!, value, expected]) t.dispose();
      }
    }
    a0.dispose();
    b0.dispose();
  });
}

test('losses refuse different shapes', () => {
  assert.throws(() => l1Loss(randn([2, 3]), randn([3, 2])), /l1Loss: .* differ in shape/);
});

test.run();
