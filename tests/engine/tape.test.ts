/** engine/tape.ts: reverse-mode autodiff, its order, accumulation, and the misuses it must refuse. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, affine, exp, memory, mul, noGrad, ones, optim, randn, Rng, sum, tanh, tensor, tidy } from '../../engine/index.js';
import { record } from '../../engine/tape.js';

const rng = new Rng(91);

test('a diamond: y = x*x + exp(x) gives 2x + exp(x)', async () => {
  const x = tensor([0.5, -1, 2], [3], { requiresGrad: true });
  sum(add(mul(x, x), exp(x))).backward();
  const g = await x.grad!.data();
  [0.5, -1, 2].forEach((v, i) => assert.ok(Math.abs(g[i]! - (2 * v + Math.exp(v))) < 1e-5));
});

test('backward({ gradient }) seeds a non-scalar output', async () => {
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  mul(x, 3).backward({ gradient: tensor([1, 10, 100], [3]) });
  assert.equal([...(await x.grad!.data())], [3, 30, 300]);
});

test('gradients accumulate over backward passes until cleared, as in PyTorch', async () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  sum(mul(x, 2)).backward();
  sum(mul(x, x)).backward();
  assert.equal([...(await x.grad!.data())], [2 + 2, 2 + 4]);
});

test('only inputs that ask for a gradient get one', async () => {
  const w = tensor([2], [1], { requiresGrad: true });
  const x = tensor([3], [1]);
  sum(mul(w, x)).backward();
  assert.equal([...(await w.grad!.data())], [3]);
  assert.is(x.grad, null);
  assert.is(mul(x, x).requiresGrad, false);
});

test('noGrad records nothing', () => {
  const w = tensor([2], [1], { requiresGrad: true });
  const y = noGrad(() => mul(w, w));
  assert.is(y.requiresGrad, false);
  assert.is(y.node, null);
});

test('alias() cuts the graph (detach)', async () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const y = mul(x, x);
  sum(add(mul(y.alias(), 5), y)).backward();
  assert.equal([...(await x.grad!.data())], [2, 4]); // only through y itself
});

test('a chain of 20000 ops runs without recursion', async () => {
  const x = tensor([1], [1], { requiresGrad: true });
  const y = tidy(() => {
    let h = x;
    for (let i = 0; i < 20000; i++) h = affine(h, 1, 0.001);
    sum(h).backward();
    return h;
  });
  assert.equal([...(await x.grad!.data())], [1]);
  y.dispose();
});

test('backward refuses outputs that want no gradient, and non-scalars without a seed', () => {
  assert.throws(() => sum(tensor([1, 2], [2])).backward(), /does not require a gradient/);
  assert.throws(() => mul(tensor([1, 2], [2], { requiresGrad: true }), 2).backward(), /is not a scalar; pass \{ gradient \}/);
});

test('a seed of another shape is a one-line error that leaks nothing, also when the size is the same', () => {
  const y = mul(tensor([1, 2, 3, 4, 5, 6], [2, 3], { requiresGrad: true }), 2);
  const before = memory();
  for (const seed of [tensor([1, 2, 3], [3]), tensor([1, 0, 0, 0, 0, 0], [3, 2])]) {
    assert.throws(() => y.backward({ gradient: seed }), new RegExp(`^backward\\(\\): the gradient .*\\[${seed.shape.join(', ')}\\].* does not match .*\\[2, 3\\]`));
  }
  assert.equal(memory().tensors, before.tensors + 2);
});

test('backward on a leaf sets its gradient to the seed, as in PyTorch, and accumulates', async () => {
  const x = tensor([3], [], { requiresGrad: true });
  x.backward();
  assert.equal([...(await x.grad!.data())], [1]);
  x.backward();
  assert.equal([...(await x.grad!.data())], [2]);
  const v = tensor([1, 2], [2], { requiresGrad: true });
  const seed = tensor([0.5, -4], [2]);
  v.backward({ gradient: seed });
  assert.equal([...(await v.grad!.data())], [0.5, -4]);
  seed.dispose();
  assert.equal([...(await v.grad!.data())], [0.5, -4], 'the gradient is not the seed tensor itself');
  const before = memory();
  assert.throws(() => v.backward({ perSample: 3, gradient: tensor([1, 1], [2]) }), /backward\(\): the seed gave a per-sample gradient of shape \[2\]/);
  assert.equal(memory().tensors, before.tensors + 1, 'only the seed given is left');
});

test('differentiating through a graph a second time is an error, as in PyTorch', () => {
  const w = tensor([1, 2], [2], { requiresGrad: true });
  const hidden = tanh(mul(w, 3));
  sum(hidden).backward();
  assert.throws(() => sum(mul(hidden, 2)).backward(), /already differentiated through/);
  const loss = sum(mul(w, w));
  loss.backward();
  assert.throws(() => loss.backward(), /already differentiated through/);
});

test('a tensor changed in place between forward and backward is refused, as PyTorch does; a new forward pass is fine', async () => {
  const x = tensor([1], [1], { requiresGrad: true });
  const w = tensor([2], [1], { requiresGrad: true });
  const adam = new optim.Adam([w], { lr: 1 });
  const inPlace = /backward\(\): .* used by mul, was modified in place \(an optimizer step, assign\(\) or loadStateDict\(\)\) after the forward pass/;
  const loss = sum(mul(mul(x, w), w));
  w.grad = tensor([1], [1]);
  adam.step(); // moves w from 2 to 1
  adam.zeroGrad();
  assert.throws(() => loss.backward(), inPlace);
  const again = sum(mul(mul(x, w), w));
  w.assign(tensor([3], [1]));
  assert.throws(() => again.backward(), inPlace);
  x.grad = null;
  sum(mul(mul(x, w), w)).backward();
  assert.equal([...(await x.grad!.data())], [9], 'w * w with the value w holds now');
  adam.dispose();
});

test('backward after the graph was freed by tidy is an error, not silently no gradient', () => {
  const w = randn([3], { rng, requiresGrad: true });
  const loss = tidy(() => sum(mul(tanh(w), 2)));
  assert.throws(() => loss.backward(), /was disposed before backward/);
  assert.is(w.grad, null);
});

test('backward frees everything it makes but the leaf gradient, even outside tidy', () => {
  const w = randn([4], { rng, requiresGrad: true });
  const x = randn([4], { rng });
  const graph = [mul(w, x)];
  graph.push(tanh(graph[0]!), mul(tanh(graph[0]!), x));
  const loss = sum(graph[2]!);
  const before = memory();
  loss.backward();
  const after = memory();
  assert.is(after.tensors, before.tensors + 1);
  assert.is(after.handles, before.handles + 1);
  w.grad!.dispose();
  w.grad = null;
  assert.equal(memory(), before);
  [...graph, loss].forEach((t) => t.dispose());
});

test('ones() seeded backward through a broadcast gives summed gradients', async () => {
  const b = tensor([0, 0, 0], [3], { requiresGrad: true });
  sum(add(ones([4, 3]), b)).backward();
  assert.equal([...(await b.grad!.data())], [4, 4, 4]);
});

test('a rule may hand one tensor to several inputs, some wanting no gradient', async () => {
  const a = tensor([1, 2], [2], { requiresGrad: true });
  const b = tensor([3, 4], [2]);
  const c = tensor([5, 6], [2], { requiresGrad: true });
  const before = memory();
  tidy(() => {
    const y = record('addThree', noGrad(() => add(add(a, b), c)), [b, a, c], (dy) => {
      const g = mul(dy, 1);
      return [g, g, g];
    });
    sum(y).backward();
  });
  assert.equal([...(await a.grad!.data())], [1, 1]);
  assert.equal([...(await c.grad!.data())], [1, 1]);
  assert.is(b.grad, null);
  assert.is(memory().tensors, before.tensors + 2); // the two gradients
});

test.run();
