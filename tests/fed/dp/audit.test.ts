/**
 * The audit has teeth: at accountant epsilon about 1, the same audit with the
 * noise switched off or the clipping skipped measures a lower bound well
 * above it, while the real DP-SGD step's stays below it. Fixed seeds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../../engine/index.js';
import { auditDpSgd, auditPValue, epsilonLowerBound } from '../../../fed/dp/audit.js';

test('the real DP-SGD step stays below the accountant; no noise or no clipping is far above it', async () => {
  await setBackend('js');
  const real = await auditDpSgd({ seed: 1 });
  assert.ok(real.accountantEpsilon > 0.9 && real.accountantEpsilon < 1.1, `accountant ${real.accountantEpsilon}`);
  assert.ok(real.lowerBound <= real.accountantEpsilon, `real step: ${real.lowerBound} vs ${real.accountantEpsilon}`);
  for (const control of ['no-noise', 'no-clip'] as const) {
    const broken = await auditDpSgd({ seed: 1, control });
    assert.ok(broken.lowerBound > 3 * broken.accountantEpsilon, `${control}: ${broken.lowerBound} vs ${broken.accountantEpsilon}`);
  }
  // Other seeds: the real step never exceeds the accountant.
  for (const seed of [2, 3]) {
    const again = await auditDpSgd({ seed, canaries: 400 });
    assert.ok(again.lowerBound <= again.accountantEpsilon, `seed ${seed}: ${again.lowerBound}`);
  }
});

test('the p-value: half right is no evidence; all right bounds epsilon by the binomial tail', () => {
  assert.is(epsilonLowerBound({ canaries: 1000, guesses: 200, correct: 100, delta: 1e-5 }), 0);
  // All 200 right with delta 0: P[Binomial(200, p) = 200] = p^200 = 0.05 at p = 0.05^(1/200).
  const p = Math.pow(0.05, 1 / 200);
  const expected = Math.log(p / (1 - p));
  assert.ok(Math.abs(epsilonLowerBound({ canaries: 1000, guesses: 200, correct: 200, delta: 0 }) - expected) < 1e-6);
  // delta only adds to the p-value, so it lowers the bound.
  assert.ok(epsilonLowerBound({ canaries: 1000, guesses: 200, correct: 200, delta: 1e-5 }) < expected);
  assert.ok(auditPValue({ canaries: 10, guesses: 10, correct: 5, epsilon: 0, delta: 0 }) > 0.5);
});

test.run();
