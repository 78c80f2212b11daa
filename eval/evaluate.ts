/**
 * The evaluation loop: a model's translations of paired test slices in both
 * directions, scored per slice on [0, 1] (MAE, PSNR, SSIM uniform and
 * Gaussian) and per batch of 4 with the reference code's global SSIM; the
 * untranslated input scored the same way as the baseline to beat; and
 * comparison rows (input | synthesized | target) of a few fixed slices.
 * A slice whose target is constant is left out of the scores
 * (data/checks.ts isConstant), as `fedmed metrics` leaves such planes out.
 * A NaN or infinite translation is an error naming the model and the slice,
 * never a NaN score.
 */
import { BatchLoader, isConstant, type Contrast, type Item } from '../data/index.js';
import type { Direction, GanModel } from '../models/index.js';
import type { ComparisonRow } from './grid.js';
import { imageMetrics, ssimGlobal, toUnitRange, type ImageMetrics } from './metrics.js';
import { checkFiniteOutput } from './model-output.js';
import { meanImageMetrics, type DirectionMetrics } from './records.js';

export interface EvaluationOptions {
  /** The model's domain a and b. */
  source: Contrast;
  target: Contrast;
  /** Batch of the global SSIM, the reference code's 4. */
  batchSize?: number;
  /** Test items shown in the grids (default 4, spread over the test set). */
  gridRows?: number;
  /** Names the model in the error for a NaN or infinite translation (a checkpoint file, a round; default 'the model'). */
  modelName?: string;
}

export interface Evaluation {
  /** a -> b then b -> a. */
  metrics: DirectionMetrics[];
  /** The input itself taken as the translation, in the same two directions. */
  baseline: DirectionMetrics[];
  /** Per direction, the comparison rows of the test items at `testSlices` (indexes into the items evaluated). */
  grids: { direction: string; rows: ComparisonRow[]; testSlices: number[] }[];
}

/** Scores accumulated for one direction. */
class DirectionScores {
  readonly rows: ImageMetrics[] = [];
  readonly globalSsims: number[] = [];
  readonly grid: ComparisonRow[] = [];

  add(input: Float32Array, synthesized: Float32Array, target: Float32Array, size: number, gridIndexes: readonly number[], offset: number): void {
    const area = size * size;
    const count = target.length / area;
    const cut = (x: Float32Array, k: number) => x.subarray(k * area, (k + 1) * area);
    // A constant target has nothing to compare: left out, as fedmed metrics leaves such planes out.
    const kept = Array.from({ length: count }, (_, k) => k).filter((k) => !isConstant(cut(target, k)));
    const pick = (x: Float32Array) => (kept.length === count ? x : concat(kept.map((k) => cut(x, k))));
    if (kept.length) {
      this.rows.push(...imageMetrics(pick(target), pick(synthesized), { height: size, width: size }));
      this.globalSsims.push(ssimGlobal(pick(target), pick(synthesized)));
    }
    for (let k = 0; k < count; k++) {
      if (!gridIndexes.includes(offset + k)) continue;
      this.grid.push({ input: cut(input, k).slice(), synthesized: cut(synthesized, k).slice(), target: cut(target, k).slice() });
    }
  }

  summary(direction: string): DirectionMetrics {
    if (!this.rows.length) throw new Error(`evaluate: every ${direction} target slice is constant: nothing to compare`);
    const mean = meanImageMetrics(this.rows);
    const ssimGlobalMean = this.globalSsims.reduce((a, b) => a + b, 0) / this.globalSsims.length;
    return { direction, images: this.rows.length, ...mean, ssimGlobal: ssimGlobalMean };
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function evaluate(model: GanModel, items: readonly Item[], options: EvaluationOptions): Promise<Evaluation> {
  const unpaired = items.find((item) => !item.paired);
  if (unpaired) throw new Error(`evaluate: test items must be paired; subject ${unpaired.a.id} slice ${unpaired.slice} is not`);
  const loader = new BatchLoader(items, { source: options.source, target: options.target, batchSize: options.batchSize ?? 4, shuffle: false });
  const rows = Math.min(options.gridRows ?? 4, items.length);
  const gridIndexes = Array.from({ length: rows }, (_, i) => Math.floor((i * items.length) / rows));
  const directions: { name: Direction; label: string }[] = [
    { name: 'a2b', label: `${options.source}->${options.target}` },
    { name: 'b2a', label: `${options.target}->${options.source}` },
  ];
  const scores = directions.map(() => ({ model: new DirectionScores(), baseline: new DirectionScores() }));
  let offset = 0;
  for (const batch of loader.epoch(0)) {
    try {
      const [a, b] = await Promise.all([batch.a.data(), batch.b.data()]);
      for (const [d, { name }] of directions.entries()) {
        const [input, target] = name === 'a2b' ? [a, b] : [b, a];
        const translated = model.translate(name === 'a2b' ? batch.a : batch.b, name);
        const output = await translated.data();
        translated.dispose();
        checkFiniteOutput(output, loader.size, options.modelName ?? 'the model', (k) => {
          const item = batch.items[k]!;
          return `${directions[d]!.label} of subject ${item.a.id} slice z=${item.a.z[item.slice]}`;
        });
        const synthesized = toUnitRange(output);
        const [inputUnit, targetUnit] = [toUnitRange(input), toUnitRange(target)];
        scores[d]!.model.add(inputUnit, synthesized, targetUnit, loader.size, gridIndexes, offset);
        scores[d]!.baseline.add(inputUnit, inputUnit, targetUnit, loader.size, [], offset);
      }
      offset += batch.items.length;
    } finally {
      batch.a.dispose();
      batch.b.dispose();
    }
  }
  return {
    metrics: directions.map((d, i) => scores[i]!.model.summary(d.label)),
    baseline: directions.map((d, i) => scores[i]!.baseline.summary(d.label)),
    grids: directions.map((d, i) => ({ direction: d.label, rows: scores[i]!.model.grid, testSlices: gridIndexes })),
  };
}
