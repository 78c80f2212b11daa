/**
 * engine/ops/elementwise.ts: values and gradients against PyTorch fixtures (NaN, +-inf and kinks
 * among the inputs), values against Math, gradients against finite differences.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  abs, add, affine, clamp, div, exp, leakyRelu, log, mul, neg, rand, randn, relu, Rng, sigmoid, sqrt, square, sub, sum, tanh, tensor,
  type Tensor,
} from '../../../engine/index.js';
import { checkOpCase, loadOpCases, type OpCase } from '../../helpers/fixtures.js';
import { gradCheck, randAwayFrom } from '../../helpers/gradcheck.js';

const unaryByName: Record<string, (x: Tensor, o: OpCase['options']) => Tensor> = {
  neg, square, exp, sqrt, log, relu, abs, tanh, sigmoid,
  affine: (x, o) => affine(x, o.alpha as number, o.beta as number),
  leakyRelu: (x, o) => leakyRelu(x, o.slope as number | undefined),
  clamp: (x, o) => clamp(x, o.low as number, o.high as number),
};
const binaryByName = { add, sub, mul, div } as Record<string, (a: Tensor | number, b: Tensor | number) => Tensor>;

for (const c of loadOpCases('elementwise')) {
  test(`${c.name} matches PyTorch`, async () => {
    await checkOpCase(c, ({ x, a, b }) => {
      if (x) return unaryByName[c.op]!(x, c.options);
      const scalar = c.options.scalar as number; // an operand given as a number
      return binaryByName[c.op]!(a ?? scalar, b ?? scalar);
    });
  });
}

const rng = new Rng(11);
const shape = [2, 3, 4];
const normal = randn(shape, { rng });
const positive = rand(shape, { rng, low: 0.5, high: 2 });
const awayFromZero = randAwayFrom(shape, [0], rng);
const divisor = randAwayFrom(shape, [0], rng, 0.5); // 1/x stays tame under a step of 1e-2

interface UnaryCase {
  name: string;
  op: (x: Tensor) => Tensor;
  reference: (x: number) => number;
  input: Tensor;
}

const unaryCases: UnaryCase[] = [
  { name: 'affine(x, 1.5, -0.25)', op: (x) => affine(x, 1.5, -0.25), reference: (x) => 1.5 * x - 0.25, input: normal },
  { name: 'neg', op: neg, reference: (x) => -x, input: normal },
  { name: 'abs', op: abs, reference: Math.abs, input: awayFromZero },
  { name: 'square', op: square, reference: (x) => x * x, input: normal },
  { name: 'sqrt', op: sqrt, reference: Math.sqrt, input: positive },
  { name: 'exp', op: exp, reference: Math.exp, input: normal },
  { name: 'log', op: log, reference: Math.log, input: positive },
  { name: 'relu', op: relu, reference: (x) => Math.max(x, 0), input: awayFromZero },
  { name: 'leakyRelu(x, 0.2)', op: (x) => leakyRelu(x, 0.2), reference: (x) => (x > 0 ? x : 0.2 * x), input: awayFromZero },
  { name: 'leakyRelu default slope 0.01', op: (x) => leakyRelu(x), reference: (x) => (x > 0 ? x : 0.01 * x), input: awayFromZero },
  { name: 'tanh', op: tanh, reference: Math.tanh, input: normal },
  { name: 'sigmoid', op: sigmoid, reference: (x) => 1 / (1 + Math.exp(-x)), input: normal },
  {
    name: 'clamp(x, -0.5, 0.8)',
    op: (x) => clamp(x, -0.5, 0.8),
    reference: (x) => Math.min(Math.max(x, -0.5), 0.8),
    input: randAwayFrom(shape, [-0.5, 0.8], rng),
  },
];

for (const c of unaryCases) {
  test(`${c.name} x=[${shape}] values`, async () => {
    const x = await c.input.data();
    const y = await c.op(c.input).data();
    for (let i = 0; i < x.length; i++) {
      const expected = c.reference(x[i]!);
      assert.ok(Math.abs(y[i]! - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${c.name}(${x[i]}) = ${y[i]}, expected ${expected}`);
    }
  });

  test(`${c.name} x=[${shape}] gradient`, async () => {
    await gradCheck(c.name, c.op, [c.input]);
  });
}

/** The broadcast of a [2, 1, 4] and b [3, 1] to [2, 3, 4], by explicit indices. */
function broadcastReference(a: Float32Array, b: Float32Array, f: (p: number, q: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) out.push(f(a[i * 4 + k]!, b[j]!));
  return out;
}

const binaryCases = [
  { name: 'add', op: add, f: (p: number, q: number) => p + q },
  { name: 'sub', op: sub, f: (p: number, q: number) => p - q },
  { name: 'mul', op: mul, f: (p: number, q: number) => p * q },
  { name: 'div', op: div, f: (p: number, q: number) => p / q },
] as const;

const a = randn([2, 1, 4], { rng });
const b = randAwayFrom([3, 1], [0], rng, 0.5); // a divisor away from 0

for (const c of binaryCases) {
  test(`${c.name} broadcasts [2,1,4] with [3,1] to [2,3,4]`, async () => {
    const y = c.op(a, b);
    assert.equal([...y.shape], [2, 3, 4]);
    const expected = broadcastReference(await a.data(), await b.data(), c.f);
    const actual = await y.data();
    expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${c.name}[${i}] = ${actual[i]}, expected ${e}`));
  });

  test(`${c.name} [2,1,4] with [3,1] gradient`, async () => {
    await gradCheck(c.name, (p, q) => c.op(p!, q!), [a, b]);
  });

  test(`${c.name} same shapes [2,3,4] gradient`, async () => {
    await gradCheck(c.name, (p, q) => c.op(p!, q!), [normal, divisor]);
  });

  test(`${c.name} with number operands`, async () => {
    const x = await divisor.data();
    const right = await c.op(divisor, 2.5).data();
    const left = await c.op(2.5, divisor).data();
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(right[i]! - c.f(x[i]!, 2.5)) <= 1e-6 * Math.max(1, Math.abs(c.f(x[i]!, 2.5))), `${c.name}(x, 2.5)`);
      assert.ok(Math.abs(left[i]! - c.f(2.5, x[i]!)) <= 1e-6 * Math.max(1, Math.abs(c.f(2.5, x[i]!))), `${c.name}(2.5, x)`);
    }
    await gradCheck(`${c.name}(x, 2.5)`, (p) => c.op(p!, 2.5), [divisor]);
    await gradCheck(`${c.name}(2.5, x)`, (p) => c.op(2.5, p!), [divisor]);
  });
}

test('a tensor used twice: mul(x, x) and add(x, x)', async () => {
  await gradCheck('mul(x, x)', (x) => mul(x!, x!), [normal]);
  await gradCheck('add(x, x)', (x) => add(x!, x!), [normal]);
});

test('scalar-shaped [] operands broadcast', async () => {
  const s = tensor([1.7], []);
  await gradCheck('mul(x, s)', (x, t) => mul(x!, t!), [normal, s]);
  await gradCheck('div(s, x)', (t, x) => div(t!, x!), [s, divisor]);
});

/** d/dx of sum(op(x)) at the given points. */
async function gradientAt(op: (x: Tensor) => Tensor, points: number[]): Promise<number[]> {
  const x = tensor(points, [points.length], { requiresGrad: true });
  sum(op(x)).backward();
  return [...(await x.grad!.data())];
}

test('gradients at kinks follow PyTorch', async () => {
  assert.equal(await gradientAt(relu, [0, 1, -1]), [0, 1, 0]);
  assert.equal(await gradientAt(abs, [0, 2, -2]), [0, 1, -1]);
  assert.equal(await gradientAt((x) => leakyRelu(x, 0.25), [0, 1, -1]), [0.25, 1, 0.25]);
  // torch.clamp passes the gradient where min <= x <= max, the bounds included.
  assert.equal(await gradientAt((x) => clamp(x, -1, 1), [-1, 1, 0, -1.5, 1.5]), [1, 1, 1, 0, 0]);
});

test('binary ops refuse shapes that do not broadcast', () => {
  assert.throws(() => add(randn([2, 3]), randn([4])), /\[2,3\] and \[4\] do not broadcast/);
});

test.run();
