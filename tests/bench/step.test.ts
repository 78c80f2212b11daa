/** bench/step.ts's --profile: the kernel calls per step it reports are the calls the backend saw. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { benchStep, kernelTable } from '../../bench/step.js';

test('a profiled step reports its kernel calls per op and in all, and the table ends with the total', async () => {
  const result = await benchStep({ model: 'cyclegan', size: 32, width: 2, batch: 1, steps: 2, warmup: 0, dp: false, profile: true });
  const kernels = result.kernels!;
  const sum = kernels.reduce((n, k) => n + k.calls, 0);
  assert.equal(result.kernelCalls, sum);
  assert.ok(kernels.some((k) => k.kernel === 'conv2d' && k.calls > 0), 'convolutions counted');
  const last = kernelTable(kernels, result.msPerStep).split('\n').at(-1)!;
  assert.match(last, new RegExp(`^total\\s+${sum.toFixed(0)}\\s`));
});

test('an unprofiled step reports no kernel count', async () => {
  const result = await benchStep({ model: 'cyclegan', size: 32, width: 2, batch: 1, steps: 1, warmup: 0, dp: false, profile: false });
  assert.is(result.kernelCalls, null);
});

test.run();
