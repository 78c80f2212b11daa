/**
 * The time of one GAN training step (G step then D step, Adam included) on a
 * backend, optionally with DP-SGD's per-sample generator step, and with
 * --profile a table per kernel: calls, total ms, share of the step, GFLOP/s.
 * Inputs are random images: the step's cost does not depend on the values.
 */
import { getBackend, profileBackend, randn, Rng, tidy, useBackend, type KernelStat } from '../engine/index.js';
import { sanitisePerSampleGradients } from '../fed/dp/dpsgd.js';
import { createModel, type ModelName, type TrainStepOptions } from '../models/index.js';

export interface StepBenchOptions {
  model: ModelName;
  size: number;
  width: number;
  batch: number;
  /** Timed steps (after `warmup` untimed ones). */
  steps: number;
  warmup: number;
  /** Time the DP-SGD step instead of the plain one. */
  dp: boolean;
  profile: boolean;
}

export interface StepBenchResult {
  backend: string;
  msPerStep: number;
  imagesPerSecond: number;
  /** Per kernel over the timed steps, when profiled. */
  kernels: KernelStat[] | null;
  /** Kernel calls per step, all kernels together, when profiled. */
  kernelCalls: number | null;
  /** Whether kernel times are device timestamps (else wall time). */
  deviceTimed: boolean;
}

export async function benchStep(o: StepBenchOptions): Promise<StepBenchResult> {
  const plain = getBackend();
  const profiler = o.profile ? profileBackend(plain) : null;
  if (profiler) useBackend(profiler.backend);
  const model = createModel(o.model, { width: o.width, size: o.size, seed: 3 });
  const rng = new Rng(1);
  const batch = tidy(() => ({ a: randn([o.batch, 1, o.size, o.size], { rng }), b: randn([o.batch, 1, o.size, o.size], { rng }) }));
  const dpRng = new Rng(2);
  const options: TrainStepOptions = o.dp
    ? { perSample: true, generatorGradients: (params) => sanitisePerSampleGradients(params.map(([, p]) => p), { clip: 1, noise: 1.07, rng: dpRng }).dispose() }
    : {};
  try {
    for (let i = 0; i < o.warmup; i++) await model.trainStep(batch, options);
    profiler?.reset();
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) await model.trainStep(batch, options); // trainStep reads its losses back: the step is finished
    const msPerStep = (performance.now() - t0) / o.steps;
    const kernels = profiler ? (await profiler.stats()).map((k) => ({ ...k, calls: k.calls / o.steps, ms: k.ms / o.steps, flops: k.flops / o.steps })) : null;
    const kernelCalls = kernels ? kernels.reduce((n, k) => n + k.calls, 0) : null;
    return { backend: plain.name, msPerStep, imagesPerSecond: (1000 * o.batch) / msPerStep, kernels, kernelCalls, deviceTimed: profiler?.deviceTimed ?? false };
  } finally {
    batch.a.dispose();
    batch.b.dispose();
    model.dispose();
    if (profiler) useBackend(plain);
  }
}

/** The --profile table: one row per kernel, per step. */
export function kernelTable(kernels: readonly KernelStat[], msPerStep: number): string {
  const rows = kernels.map((k) => [
    k.kernel,
    k.calls.toFixed(0),
    k.ms.toFixed(2),
    `${((100 * k.ms) / msPerStep).toFixed(1)}%`,
    k.flops > 0 && k.ms > 0 ? (k.flops / k.ms / 1e6).toFixed(1) : '',
  ]);
  const header = ['kernel', 'calls/step', 'ms/step', 'share', 'GFLOP/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const total = ['total', kernels.reduce((n, k) => n + k.calls, 0).toFixed(0), kernels.reduce((n, k) => n + k.ms, 0).toFixed(2), '', ''];
  return [line(header), ...rows.map(line), line(total)].join('\n');
}
