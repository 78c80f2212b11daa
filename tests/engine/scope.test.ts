/** engine/scope.ts and tensor lifetimes: tidy, keep, dispose, shared storage, assign, memory(). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, gradientHook, keep, memory, mul, randn, reshape, sum, tensor, tidy, zeros, type Tensor } from '../../engine/index.js';
import { state } from '../../engine/state.js';

test('tidy frees what fn made but what it returns', async () => {
  const x = tensor([1, 2], [2]);
  const before = memory();
  const y = tidy(() => add(mul(x, 2), 1));
  assert.is(memory().tensors, before.tensors + 1);
  assert.is(memory().handles, before.handles + 1);
  assert.equal([...(await y.data())], [3, 5]);
  y.dispose();
  assert.equal(memory(), before);
});

test('returned arrays and objects of tensors survive; nested scopes hand survivors outwards', () => {
  const before = memory().tensors;
  const kept = tidy(() => {
    const inner = tidy(() => ({ a: zeros([2]), list: [zeros([3]), zeros([1])], label: 'x' }));
    zeros([5]); // freed with the outer scope
    return [inner.a, inner.list[0]!];
  });
  assert.is(memory().tensors, before + 2);
  kept.forEach((t) => t.dispose());
  assert.is(memory().tensors, before);
});

test('keep lets a tensor outlive every scope', () => {
  const before = memory().tensors;
  let escaped: Tensor | null = null;
  tidy(() => {
    tidy(() => {
      escaped = keep(zeros([2]));
    });
  });
  assert.is(memory().tensors, before + 1);
  assert.ok(!escaped!.isDisposed);
  escaped!.dispose();
});

test('a throwing fn still frees its scope', () => {
  const before = memory();
  assert.throws(() =>
    tidy(() => {
      zeros([4]);
      throw new Error('boom');
    }),
  /boom/);
  assert.equal(memory(), before);
});

test('a backward rule that throws closes its scope: nothing leaks and the scope stack is as before', () => {
  const w = keep(randn([3], { requiresGrad: true }));
  const before = memory();
  const scopes = state.scopes.length;
  const throwing = () => { throw new Error('rule failed'); };
  assert.throws(() => tidy(() => sum(gradientHook(mul(w, 2), throwing)).backward()), /rule failed/);
  assert.is(state.scopes.length, scopes);
  assert.equal(memory(), before);
  // A rule that returns a gradient of the wrong shape fails after its scope closed: the same holds.
  assert.throws(() => tidy(() => sum(gradientHook(mul(w, 2), (dy) => sum(dy))).backward()), /shape/);
  assert.is(state.scopes.length, scopes);
  assert.equal(memory(), before);
  assert.is(w.grad, null);
  w.dispose();
});

test('an async fn is refused', () => {
  const before = memory();
  assert.throws(() => tidy((() => Promise.resolve(zeros([1]))) as unknown as () => Tensor), /returned a Promise/);
  assert.equal(memory(), before);
});

test('reshape shares storage: the handle lives until the last view is freed', async () => {
  const before = memory();
  const x = tensor([1, 2, 3, 4], [4]);
  const view = reshape(x, [2, 2]);
  assert.is(memory().handles, before.handles + 1);
  assert.is(memory().tensors, before.tensors + 2);
  x.dispose();
  assert.equal([...(await view.data())], [1, 2, 3, 4]);
  view.dispose();
  assert.equal(memory(), before);
});

test('dispose is idempotent and a disposed tensor refuses use', () => {
  const before = memory();
  const x = zeros([2]);
  x.dispose();
  x.dispose();
  assert.equal(memory(), before);
  assert.throws(() => add(x, x), /used after dispose\(\)/);
});

test('assign keeps identity, takes the new values and releases the old storage', async () => {
  const p = tensor([1, 2], [2]);
  const before = memory();
  tidy(() => p.assign(add(p, 10)));
  assert.equal([...(await p.data())], [11, 12]);
  assert.equal(memory(), before);
  assert.throws(() => p.assign(zeros([3])), /does not match/);
});

test('memory() counts bytes of float32 storage', () => {
  const before = memory();
  const x = zeros([10, 10]);
  assert.is(memory().bytes, before.bytes + 400);
  x.dispose();
  assert.equal(memory(), before);
});

test.run();
