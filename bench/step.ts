/**
 * The time of one GAN training step (G step then D step, Adam included) on a
 * backend, optionally DP-SGD's (per-sample generator and discriminator
 * gradients, sanitised as training does), and with
 * --profile a table per kernel: calls, total ms, share of the step, GFLOP/s.
 * Inputs are random images: the step's cost does not depend on the values.
 * The step is written against a StepApi, so that `fedmed bench step --against`
 * can run it on another build's modules (bench/step-server.ts).
 */
import { textTable } from '../cli/text-table.js';
import * as engine from '../engine/index.js';
import { getBackend, profileBackend, useBackend, type KernelStat } from '../engine/index.js';
import * as dpsgd from '../fed/dp/dpsgd.js';
import * as models from '../models/index.js';
import type { ModelName, TrainStepOptions } from '../models/index.js';

/** What a step is: the model, its size, and whether DP-SGD's per-sample step is timed instead of the plain one. */
export interface StepConfig {
  model: ModelName;
  size: number;
  width: number;
  batch: number;
  dp: boolean;
}

export interface StepBenchOptions extends StepConfig {
  /** Timed steps (after `warmup` untimed ones). */
  steps: number;
  warmup: number;
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

/** The modules of a fedmed build that a training step uses: this build's, or another's loaded from its folder. */
export interface StepApi {
  engine: Pick<typeof engine, 'randn' | 'Rng' | 'tidy'>;
  models: Pick<typeof models, 'createModel'>;
  dpsgd: Pick<typeof dpsgd, 'sanitisePerSampleGradients'>;
}

export const thisBuild: StepApi = { engine, models, dpsgd };

/** A model and a batch ready to train on the current backend, one step at a time. */
export interface PreparedStep {
  /** One training step, finished (trainStep reads its losses back); its wall milliseconds. */
  step(): Promise<number>;
  dispose(): void;
}

export function prepareStep(api: StepApi, c: StepConfig): PreparedStep {
  const model = api.models.createModel(c.model, { width: c.width, size: c.size, seed: 3 });
  const rng = new api.engine.Rng(1);
  const batch = api.engine.tidy(() => ({ a: api.engine.randn([c.batch, 1, c.size, c.size], { rng }), b: api.engine.randn([c.batch, 1, c.size, c.size], { rng }) }));
  const dpRng = new api.engine.Rng(2);
  // DP: training's step options (generators and discriminators sanitised), with the measured build's sanitiser.
  const options: TrainStepOptions = c.dp ? dpsgd.dpSgdStepOptions({ clip: 1, noise: 1.07, rng: dpRng }, api.dpsgd.sanitisePerSampleGradients) : {};
  return {
    async step() {
      const t0 = performance.now();
      await model.trainStep(batch, options);
      return performance.now() - t0;
    },
    dispose() {
      batch.a.dispose();
      batch.b.dispose();
      model.dispose();
    },
  };
}

export async function benchStep(o: StepBenchOptions): Promise<StepBenchResult> {
  const plain = getBackend();
  const profiler = o.profile ? profileBackend(plain) : null;
  if (profiler) useBackend(profiler.backend);
  const prepared = prepareStep(thisBuild, o);
  try {
    for (let i = 0; i < o.warmup; i++) await prepared.step();
    profiler?.reset();
    let ms = 0;
    for (let i = 0; i < o.steps; i++) ms += await prepared.step();
    const msPerStep = ms / o.steps;
    const kernels = profiler ? (await profiler.stats()).map((k) => ({ ...k, calls: k.calls / o.steps, ms: k.ms / o.steps, flops: k.flops / o.steps })) : null;
    const kernelCalls = kernels ? kernels.reduce((n, k) => n + k.calls, 0) : null;
    return { backend: plain.name, msPerStep, imagesPerSecond: (1000 * o.batch) / msPerStep, kernels, kernelCalls, deviceTimed: profiler?.deviceTimed ?? false };
  } finally {
    prepared.dispose();
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
  const total = ['total', kernels.reduce((n, k) => n + k.calls, 0).toFixed(0), kernels.reduce((n, k) => n + k.ms, 0).toFixed(2), '', ''];
  return textTable(header, [...rows, total]).join('\n');
}
