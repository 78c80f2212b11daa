/**
 * The evaluation loop leaves a slice whose target is constant out of the
 * scores, the rule `fedmed metrics` follows for planes (data/checks.ts
 * isConstant): a blank target scored would pull the means with a slice
 * that holds nothing to compare.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildItems, subjectSlice, type Contrast, type Item, type Subject } from '../../data/index.js';
import { mul, setBackend, type Tensor } from '../../engine/index.js';
import { evaluate } from '../../eval/evaluate.js';
import { imageMetrics, ssimGlobal } from '../../eval/metrics.js';
import { meanImageMetrics } from '../../eval/records.js';
import { createModel, type GanModel } from '../../models/index.js';

const size = 32;

/** Two slices of PD and T2 per subject, smooth and varied, `blankT2` ones all zero. */
function subject(id: string, blankT2: number[]): Subject {
  const area = size * size;
  const slices = (phase: number, blank: number[]) =>
    Float32Array.from({ length: 2 * area }, (_, i) => (blank.includes(Math.floor(i / area)) ? 0 : 0.5 + 0.5 * Math.sin(i * 0.37 + phase)));
  return { id, site: null, z: [0, 1], size, slices: { PD: slices(0, []), T2: slices(1, blankT2) } };
}

test.before(async () => {
  await setBackend('js');
});

test('a constant target slice is left out of the scores in that direction, and only there', async () => {
  const model = createModel('cyclegan', { width: 2, size, contrasts: ['PD', 'T2'], seed: 1 });
  try {
    const options = { source: 'PD', target: 'T2', batchSize: 4 } as const;
    const clean = await evaluate(model, buildItems([subject('A', []), subject('B', [])], { pairedRatio: 1 }), options);
    const blank = await evaluate(model, buildItems([subject('A', [1]), subject('B', [])], { pairedRatio: 1 }), options);
    assert.equal(clean.metrics.map((m) => m.images), [4, 4]);
    assert.equal(blank.metrics.map((m) => m.images), [3, 4]); // PD->T2 loses A's blank T2 slice; T2->PD still scores its PD target
    for (const m of blank.metrics) for (const v of [m.mae, m.psnr, m.ssim, m.ssimGaussian, m.ssimGlobal]) assert.ok(Number.isFinite(v), `${m.direction}: ${v}`);
    const none = buildItems([subject('A', [0, 1])], { pairedRatio: 1 });
    try {
      await evaluate(model, none, options);
      assert.unreachable('scored nothing');
    } catch (e) {
      assert.match((e as Error).message, /^evaluate: every PD->T2 target slice is constant: nothing to compare$/);
    }
  } finally {
    model.dispose();
  }
});

/** A test double of a GanModel: only translate, as `translation` of the input. */
function standInModel(translation: (x: Tensor) => Tensor): GanModel {
  return { translate: (x: Tensor) => translation(x) } as unknown as GanModel;
}

test('a NaN or infinite translation is an error naming the model, the direction, the subject and the slice', async () => {
  const items = buildItems([subject('A', []), subject('B', [])], { pairedRatio: 1 });
  const first = items[0]!;
  for (const bad of [NaN, Infinity]) {
    try {
      await evaluate(standInModel((x) => mul(x, bad)), items, { source: 'PD', target: 'T2', batchSize: 4, modelName: 'run/generators.safetensors' });
      assert.unreachable(`${bad} scored`);
    } catch (e) {
      // mul(x, Infinity) is NaN where x is 0, so the first bad pixel may be either.
      assert.match((e as Error).message, new RegExp(`^run/generators.safetensors gave (NaN|-?Infinity) for PD->T2 of subject ${first.a.id} slice z=${first.a.z[first.slice]} \\(pixel \\(\\d+, \\d+\\) of its 32x32 output\\): its weights are diverged or broken; nothing is scored or written$`));
    }
  }
});

/** Concatenated [0, 1] slices of `contrast`, each mapped by `f`, of the items in order. */
function slices(items: readonly Item[], contrast: Contrast, f: (v: number) => number): Float32Array {
  return Float32Array.from(items.flatMap((item) => Array.from(subjectSlice(item.a, contrast, item.slice), f)));
}

test("evaluate's scores are imageMetrics' means on the same slices, and the global SSIM a mean over batches of 4", async () => {
  const items = buildItems([subject('A', []), subject('B', []), subject('C', [])], { pairedRatio: 1 }); // 6 items: batches of 4 and 2
  const halves = standInModel((x) => mul(x, 0.5)); // on [0, 1], s -> s / 2 + 1/4
  const result = await evaluate(halves, items, { source: 'PD', target: 'T2', batchSize: 4 });
  const geometry = { height: size, width: size };
  for (const [d, [from, to]] of ([['PD', 'T2'], ['T2', 'PD']] as const).entries()) {
    const target = slices(items, to, (v) => v);
    for (const [scored, synthesized] of [
      [result.metrics[d]!, slices(items, from, (v) => v / 2 + 0.25)],
      [result.baseline[d]!, slices(items, from, (v) => v)],
    ] as const) {
      const want = meanImageMetrics(imageMetrics(target, synthesized, geometry));
      const area = size * size;
      const [first, second] = [[0, 4], [4, 6]].map(([a, b]) => ssimGlobal(target.subarray(a! * area, b! * area), synthesized.subarray(a! * area, b! * area)));
      const expected = { direction: `${from}->${to}`, images: 6, ...want, ssimGlobal: (first! + second!) / 2 };
      for (const key of ['mae', 'psnr', 'ssim', 'ssimGaussian', 'ssimGlobal'] as const) {
        assert.ok(Math.abs(scored[key] - expected[key]) < 1e-5, `${expected.direction} ${key}: ${scored[key]} vs ${expected[key]}`);
      }
      assert.equal([scored.direction, scored.images], [expected.direction, 6]);
    }
    // Not a mean over every slice at once: the batches of 4 matter here.
    assert.ok(Math.abs(result.baseline[d]!.ssimGlobal - ssimGlobal(target, slices(items, from, (v) => v))) > 1e-4);
  }
  assert.equal(result.grids.map((g) => g.testSlices), [[0, 1, 3, 4], [0, 1, 3, 4]]);
});

test.run();
