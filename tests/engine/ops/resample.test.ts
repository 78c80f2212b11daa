/** engine/ops/resample.ts: nearest upsampling and average pooling against PyTorch fixtures and finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adaptiveAvgPool2d, avgPool2d, randn, Rng, upsampleNearest } from '../../../engine/index.js';
import { checkOpCase, loadOpCases } from '../../helpers/fixtures.js';
import { gradCheck } from '../../helpers/gradcheck.js';

for (const c of loadOpCases('resample')) {
  test(`${c.name} matches PyTorch`, async () => {
    const o = c.options;
    await checkOpCase(c, ({ x }) => {
      if (c.op === 'upsampleNearest') return upsampleNearest(x!, o.scale as number);
      if (c.op === 'adaptiveAvgPool2d') return adaptiveAvgPool2d(x!);
      return avgPool2d(x!, o.kernel as number, { stride: o.stride as number, padding: o.padding as number, countIncludePad: o.countIncludePad as boolean });
    });
  });
}

const rng = new Rng(71);
const x = randn([1, 2, 5, 6], { rng });

test('upsampleNearest gradient, scales 2 and 3', async () => {
  await gradCheck('upsample x2', (t) => upsampleNearest(t!, 2), [x]);
  await gradCheck('upsample x3', (t) => upsampleNearest(t!, 3), [x]);
});

test('avgPool2d gradient, with and without the padding in the divisor', async () => {
  await gradCheck('avgPool2d k2', (t) => avgPool2d(t!, 2), [x]);
  await gradCheck('avgPool2d k3 s2 p1', (t) => avgPool2d(t!, 3, { stride: 2, padding: 1 }), [x]);
  await gradCheck('avgPool2d k3 s2 p1 no pad count', (t) => avgPool2d(t!, 3, { stride: 2, padding: 1, countIncludePad: false }), [x]);
});

test('adaptiveAvgPool2d gradient', async () => {
  await gradCheck('adaptiveAvgPool2d', (t) => adaptiveAvgPool2d(t!), [x]);
});

test('bad arguments are errors', () => {
  assert.throws(() => upsampleNearest(x, 1.5), /scale must be a whole number/);
  assert.throws(() => avgPool2d(x, 2, { padding: 2 }), /padding must be at most half the kernel/);
  assert.throws(() => avgPool2d(x, 7), /does not fit/);
  assert.throws(() => avgPool2d(x, 2, { stride: 0 }), /^avgPool2d: stride must be whole numbers >= 1, got \[0,0\]$/);
  assert.throws(() => avgPool2d(x, 2, { stride: 1.5 }), /^avgPool2d: stride must be whole numbers >= 1/);
  assert.throws(() => avgPool2d(x, [2, 2.5]), /^avgPool2d: kernel must be whole numbers >= 1, got \[2,2.5\]$/);
  assert.throws(() => avgPool2d(x, 3, { padding: -1 }), /^avgPool2d: padding must be whole numbers >= 0/);
});

test.run();
