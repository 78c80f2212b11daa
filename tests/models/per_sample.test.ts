/**
 * The DP-SGD hooks: generatorBackward(batch, { perSample: true }) leaves in
 * each generator parameter's grad [N, ...shape], and row i equals the
 * gradient of a batch-of-one pass on sample i (same noise), for every model;
 * discriminatorBackward(batch, fakes, { perSample: true }) keeps each
 * sample's discriminator gradient free of the other samples' images.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cat, memory, neg, slice, tidy, type Tensor } from '../../engine/index.js';
import { createModel, type Batch, type GanModel, type ModelName } from '../../models/index.js';
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

/**
 * x with sample i's image negated, the other rows x's own. (Another salt's
 * hashed image would hardly differ: the hash only shifts every value by the
 * same amount mod 1.)
 */
function withSampleNegated(x: Tensor, i: number): Tensor {
  return tidy(() => cat(Array.from({ length: x.shape[0]! }, (_, k) => (k === i ? neg(row(x, k)) : row(x, k)))));
}

/** Each discriminator parameter's per-sample gradient, [N, ...shape], after one per-sample discriminator pass. */
async function discriminatorRows(model: GanModel, batch: Batch, fakes: Batch): Promise<Map<string, Float32Array>> {
  model.discriminatorOptimizer.zeroGrad();
  const losses = model.discriminatorBackward(batch, fakes, { perSample: true });
  const rows = new Map<string, Float32Array>();
  for (const [pname, p] of model.discriminatorParameters()) {
    assert.equal([...p.grad!.shape], [batch.a.shape[0]!, ...p.shape], `${pname} grad is per sample`);
    rows.set(pname, await p.grad!.data());
  }
  for (const t of Object.values(losses)) t.dispose();
  model.discriminatorOptimizer.zeroGrad();
  return rows;
}

/** Per parameter, how much sample 0's gradient row moved between two passes: max |change| / max |before| (0 when both are zero). */
function sampleZeroChange(before: Map<string, Float32Array>, after: Map<string, Float32Array>, model: GanModel): Map<string, number> {
  const change = new Map<string, number>();
  for (const [pname, p] of model.discriminatorParameters()) {
    const x = before.get(pname)!.subarray(0, p.size);
    const y = after.get(pname)!.subarray(0, p.size);
    let diff = 0;
    let scale = 0;
    for (let j = 0; j < p.size; j++) {
      diff = Math.max(diff, Math.abs(x[j]! - y[j]!));
      scale = Math.max(scale, Math.abs(x[j]!));
    }
    change.set(pname, diff / Math.max(scale, 1e-30));
  }
  return change;
}

// MUNIT at 128: at 64 its coarsest scale's last InstanceNorm sees a 1x1 map, so that scale has no gradient to compare.
const discriminatorCases = cases.map(([name, width, size]): [ModelName, number, number] => [name, width, name === 'munit' ? 128 : size]);

for (const [name, width, size] of discriminatorCases) {
  test(`${name} w=${width} ${size}x${size} batch 2: changing sample 1 leaves sample 0's discriminator gradient as it was`, async () => {
    const n = 2;
    const model = createModel(name, { width, size, noise: new SampleNoise(n).draw });
    [...Object.values(model.generators()), ...Object.values(model.discriminators())].forEach((net, i) => fillHashed(net, 100 * (i + 1)));
    const batch = { a: hashedImage([n, 1, size, size], 30), b: hashedImage([n, 1, size, size], 31) };
    const fakes = { a: hashedImage([n, 1, size, size], 32), b: hashedImage([n, 1, size, size], 33) };
    const before = memory().tensors;
    /** The batch and fakes with sample i's four images negated. */
    const replaced = (i: number): [Batch, Batch] => [
      { a: withSampleNegated(batch.a, i), b: withSampleNegated(batch.b, i) },
      { a: withSampleNegated(fakes.a, i), b: withSampleNegated(fakes.b, i) },
    ];

    const original = await discriminatorRows(model, batch, fakes);
    for (const changed of [1, 0]) {
      const [otherBatch, otherFakes] = replaced(changed);
      const change = sampleZeroChange(original, await discriminatorRows(model, otherBatch, otherFakes), model);
      // Sample 1 changed: sample 0's gradient is the same (to rounding). Sample 0 changed (the control): the same comparison sees it in
      // every parameter (so every parameter has a gradient), by far more than the bound: at least 3.6e-2 relative in every family.
      for (const [pname, c] of change) {
        if (changed === 1) assert.ok(c <= 1e-7, `${pname}: sample 0's gradient moved by ${c.toExponential(2)} when only sample 1 changed`);
        else assert.ok(c >= 1e-3, `${pname}: sample 0's gradient moved by only ${c.toExponential(2)} when sample 0 changed`);
      }
      for (const t of [otherBatch.a, otherBatch.b, otherFakes.a, otherFakes.b]) t.dispose();
    }
    assert.is(memory().tensors, before, 'nothing left behind');
    model.dispose();
  });
}

test.run();
