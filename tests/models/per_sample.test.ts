/**
 * The DP-SGD hook: generatorBackward(batch, { perSample: true }) leaves in
 * each generator parameter's grad [N, ...shape], and row i equals the
 * gradient of a batch-of-one pass on sample i (same noise), for every model.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memory, slice, type Tensor } from '../../engine/index.js';
import { createModel, type ModelName } from '../../models/index.js';
import { assertClose, fillHashed, hashedImage } from './fixture.js';

/**
 * Hashed N(0, 1) stand-ins, the k-th draw of a pass salted 1000 + k; while
 * `only` is set, each draw is that sample's row of the whole batch's draw.
 */
class SampleNoise {
  only: number | null = null;
  private draws = 0;

  constructor(private readonly batch: number) {}

  reset(): void {
    this.draws = 0;
  }

  draw = (shape: readonly number[]): Tensor => {
    const salt = 1000 + ++this.draws;
    if (this.only === null) return hashedImage(shape, salt);
    const whole = hashedImage([this.batch, ...shape.slice(1)], salt);
    const row = slice(whole, [this.only, ...shape.slice(1).map(() => 0)], [1, ...shape.slice(1)]);
    whole.dispose();
    return row;
  };
}

function row(x: Tensor, i: number): Tensor {
  return slice(x, [i, 0, 0, 0], [1, ...x.shape.slice(1)]);
}

const cases: [ModelName, number, number][] = [
  ['cyclegan', 4, 32],
  ['cyclegan-resnet', 4, 32],
  ['unit', 4, 32],
  ['munit', 2, 64], // Linear, LayerNorm's gamma and beta, AdaIN from the style MLP
  ['hlhgan', 4, 32], // average pooling, nearest upsampling, two resolutions
  ['hypergan', 2, 16], // hyper layers: stacked filter banks mixed by each sample's code
];

for (const [name, width, size] of cases) {
  test(`${name} w=${width} ${size}x${size} batch 2: per-sample gradients equal batch-of-one passes`, async () => {
    const n = 2;
    const noise = new SampleNoise(n);
    const model = createModel(name, { width, size, noise: noise.draw });
    [...Object.values(model.generators()), ...Object.values(model.discriminators())].forEach((net, i) => fillHashed(net, 100 * (i + 1)));
    const batch = { a: hashedImage([n, 1, size, size], 30), b: hashedImage([n, 1, size, size], 31) };
    const before = memory().tensors;

    const pass = model.generatorBackward(batch, { perSample: true });
    const params = model.generatorParameters();
    const perSample = new Map<Tensor, Float32Array>();
    for (const [pname, p] of params) {
      assert.equal([...p.grad!.shape], [n, ...p.shape], `${pname} grad is per sample`);
      perSample.set(p, await p.grad!.data());
    }
    for (const t of [...Object.values(pass.losses), pass.fakes.a, pass.fakes.b]) t.dispose();
    model.generatorOptimizer.zeroGrad();

    for (let i = 0; i < n; i++) {
      noise.reset();
      noise.only = i;
      const single = { a: row(batch.a, i), b: row(batch.b, i) };
      const one = model.generatorBackward(single);
      for (const [pname, p] of params) {
        const all = perSample.get(p)!;
        const expected = await p.grad!.data();
        assertClose(all.subarray(i * p.size, (i + 1) * p.size), expected, 1e-3, `${pname} sample ${i}`, 1e-4 * Math.max(1e-30, ...expected.map(Math.abs)));
      }
      for (const t of [...Object.values(one.losses), one.fakes.a, one.fakes.b, single.a, single.b]) t.dispose();
      model.generatorOptimizer.zeroGrad();
      noise.only = null;
      noise.reset();
    }
    assert.is(memory().tensors, before, 'nothing left behind');
    model.dispose();
  });
}

test.run();
