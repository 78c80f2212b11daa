/** engine/ops/shape.ts: reshape, expandTo, slice, cat, pad; against PyTorch fixtures, values by index, gradients by finite differences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cat, expandTo, pad, randn, reshape, Rng, slice, tensor, type PadMode } from '../../../engine/index.js';
import { checkOpCase, loadOpCases } from '../../helpers/fixtures.js';
import { gradCheck } from '../../helpers/gradcheck.js';

for (const c of loadOpCases('shape')) {
  test(`${c.name} matches PyTorch`, async () => {
    const o = c.options;
    await checkOpCase(c, (inputs) => {
      const { x } = inputs;
      switch (c.op) {
        case 'reshape': return reshape(x!, o.shape as number[]);
        case 'expandTo': return expandTo(x!, o.shape as number[]);
        case 'slice': return slice(x!, o.begin as number[], o.size as number[]);
        case 'pad': return pad(x!, o.padding as [number, number, number, number], o.mode as PadMode);
        default: return cat(Object.keys(inputs).sort().map((k) => inputs[k]!), o.dim as number); // parts p0, p1, ...
      }
    });
  });
}

const rng = new Rng(31);
const x = randn([2, 3, 4], { rng });
const image = randn([2, 2, 4, 5], { rng });

test('reshape keeps the values and infers one -1', async () => {
  const y = reshape(x, [3, -1]);
  assert.equal([...y.shape], [3, 8]);
  assert.equal([...(await y.data())], [...(await x.data())]);
  await gradCheck('reshape', (t) => reshape(t!, [4, 6]), [x]);
  assert.throws(() => reshape(x, [5, -1]), /cannot become \[5,-1\]/);
  assert.throws(() => reshape(x, [7, 3]), /cannot become/);
});

test('expandTo repeats size-1 axes and adds leading axes', async () => {
  const v = randn([3, 1], { rng });
  const y = expandTo(v, [2, 3, 4]);
  const vs = await v.data();
  const ys = await y.data();
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) assert.is(ys[(i * 3 + j) * 4 + k], vs[j]);
  await gradCheck('expandTo', (t) => expandTo(t!, [2, 3, 4]), [v]);
  assert.throws(() => expandTo(x, [3, 4]), /cannot expand/);
});

test('slice takes a block; -1 runs to the end', async () => {
  const y = slice(x, [1, 1, 0], [1, -1, 3]);
  assert.equal([...y.shape], [1, 2, 3]);
  const xs = await x.data();
  const ys = await y.data();
  for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) assert.is(ys[j * 3 + k], xs[(1 * 3 + 1 + j) * 4 + k]);
  await gradCheck('slice', (t) => slice(t!, [1, 1, 0], [1, -1, 3]), [x]);
  assert.throws(() => slice(x, [0, 2, 0], [1, 2, 1]), /outside/);
  assert.throws(() => slice(x, [0, 0.5, 0], [1, 1, 1]), /^slice: begin \[0,0.5,0\] and size \[1,1,1\] must be whole numbers$/);
  assert.throws(() => slice(x, [0, 0, 0], [1, 1.5, 1]), /must be whole numbers/);
});

test('cat joins along any axis', async () => {
  for (const dim of [0, 1, 2, -1]) {
    const axis = dim < 0 ? dim + 3 : dim;
    const otherShape = x.shape.map((d, i) => (i === axis ? 2 : d));
    const other = randn(otherShape, { rng });
    const y = cat([x, other], dim);
    assert.equal(y.shape[axis], x.shape[axis]! + 2);
    const xs = await x.data();
    const os = await other.data();
    const ys = await y.data();
    // Element [i, j, k] of the result, from whichever part holds it.
    const outShape = y.shape;
    for (let i = 0; i < outShape[0]!; i++)
      for (let j = 0; j < outShape[1]!; j++)
        for (let k = 0; k < outShape[2]!; k++) {
          const idx = [i, j, k];
          const inFirst = idx[axis]! < x.shape[axis]!;
          const src = inFirst ? x : other;
          const local = idx.map((v, d) => (d === axis && !inFirst ? v - x.shape[axis]! : v));
          const expected = (inFirst ? xs : os)[(local[0]! * src.shape[1]! + local[1]!) * src.shape[2]! + local[2]!];
          assert.is(ys[(i * outShape[1]! + j) * outShape[2]! + k], expected);
        }
    await gradCheck(`cat dim ${dim}`, (p, q) => cat([p!, q!], dim), [x, other]);
  }
  assert.throws(() => cat([x, randn([2, 2, 5])], 1), /does not match/);
  for (const dim of [3, -4, 0.5]) assert.throws(() => cat([x, x], dim), new RegExp(`^cat: dim ${dim} is out of range for`));
});

test('zero padding [left, right, top, bottom] as torch.nn.functional.pad', async () => {
  const y = pad(image, [1, 2, 0, 3]);
  assert.equal([...y.shape], [2, 2, 7, 8]);
  const xs = await image.data();
  const ys = await y.data();
  for (let p = 0; p < 4; p++)
    for (let i = 0; i < 7; i++)
      for (let j = 0; j < 8; j++) {
        const inside = i < 4 && j >= 1 && j < 6;
        assert.is(ys[(p * 7 + i) * 8 + j], inside ? xs[(p * 4 + i) * 5 + j - 1] : 0);
      }
  await gradCheck('pad zeros', (t) => pad(t!, [1, 2, 0, 3]), [image]);
});

test('reflect padding mirrors without repeating the edge, as ReflectionPad2d', async () => {
  const row = tensor([1, 2, 3, 4], [1, 1, 1, 4]);
  assert.equal([...(await pad(row, [3, 2, 0, 0], 'reflect').data())], [4, 3, 2, 1, 2, 3, 4, 3, 2]);
  const column = tensor([1, 2, 3], [1, 1, 3, 1]);
  assert.equal([...(await pad(column, [0, 0, 2, 1], 'reflect').data())], [3, 2, 1, 2, 3, 2]);
  await gradCheck('pad reflect', (t) => pad(t!, [2, 1, 3, 2], 'reflect'), [image]);
  assert.throws(() => pad(image, [5, 0, 0, 0], 'reflect'), /must be smaller than the input's 4x5/);
  assert.throws(() => pad(image, [1, -1, 0, 0]), /^pad: padding must be whole numbers >= 0, got \[1,-1,0,0\]$/);
});

test.run();
