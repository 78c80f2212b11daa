/**
 * DP-SGD's gradient sanitiser (Abadi et al. 2016, the paper's Eq. 2): after
 * a per-sample backward pass (every parameter's grad is [N, ...shape]), each
 * privacy unit's gradient is clipped to total L2 norm `clip` across all the
 * given parameters, the clipped gradients are summed, Gaussian noise of
 * standard deviation noise * clip is added, and the sum is divided by the
 * expected batch size (Opacus's rule under Poisson sampling: dividing by the
 * drawn size would leak it). A unit is a sample, or with `units` a subject
 * whose samples' gradients are summed first and clipped as one (user-level
 * DP-SGD, McMahan et al. 2018). The result replaces each parameter's grad.
 *
 * Groups (`share`): a step whose gradient comes in parts computed from the
 * same state on the same sample (a GAN's generators and discriminators) is
 * one Gaussian mechanism when each part is clipped to its own bound
 * C sqrt(share), the shares summing to 1, and every coordinate gets noise of
 * std noise * C: a unit's joint norm is then at most C, the sensitivity the
 * accountant assumes (Opacus's per-layer clipping, McMahan et al. 2018).
 */
import { add, cat, clamp, clippedSumWithNoise, div, drawRandomKey, keep, mul, noGrad, perSampleSquaredNorms, randomNormal, slice, sqrt, tidy, zeros, type Rng, type Tensor } from '../../engine/index.js';
import type { NamedParameters, TrainStepOptions } from '../../models/index.js';

export interface DpSgdOptions {
  /** The clipping bound C on each unit's whole gradient norm (every group together). */
  clip: number;
  /** This group's share of C^2, in (0, 1]: it is clipped to C sqrt(share); default 1, the group is the whole gradient. */
  share?: number;
  /** The noise multiplier sigma: noise std is sigma * C. */
  noise: number;
  rng: Rng;
  /** What the noisy sum is divided by: the expected batch size under Poisson sampling (default the batch drawn). */
  expectedBatch?: number;
  /**
   * The privacy unit of each sample, numbered 0..U-1 (e.g. its subject), when
   * a unit may hold several samples of the batch; default one unit per sample.
   */
  units?: readonly number[];
}

/**
 * Clips, sums, noises and averages per-sample gradients in place (see the
 * header), without reading anything back: the clip factors
 * min(1, C / (norm + 1e-6)) (Opacus's) are computed on the backend.
 * Parameters without a grad are skipped; those with one must all carry the
 * same batch size N on axis 0. Returns each unit's gradient norm before
 * clipping, [U]; the caller disposes it.
 */
export function sanitisePerSampleGradients(params: readonly Tensor[], options: DpSgdOptions): Tensor {
  const withGrad = params.filter((p) => p.grad);
  if (withGrad.length === 0) throw new Error('DP-SGD: no parameter has a gradient; run backward({ perSample: N }) first');
  const batch = withGrad[0]!.grad!.shape[0]!;
  for (const p of withGrad) {
    if (p.grad!.rank !== p.rank + 1 || p.grad!.shape[0] !== batch) {
      throw new Error(`DP-SGD: ${p} has gradient ${p.grad}, expected a per-sample [${batch}, ${p.shape}]`);
    }
  }
  const { clip, noise, rng, share = 1 } = checkOptions(options);
  const units = options.units ? unitMembers(options.units, batch) : null;
  const divisor = options.expectedBatch ?? batch;
  return noGrad(() =>
    tidy(() => {
      const perUnit = withGrad.map((p) => (units ? sumByUnit(p.grad!, units) : p.grad!));
      const { sums, norms } = clipSumNoise(perUnit, { bound: clip * Math.sqrt(share), noiseStd: noise * clip, rng, scale: 1 / divisor });
      withGrad.forEach((p, k) => {
        p.grad!.dispose();
        p.grad = keep(sums[k]!);
      });
      return norms;
    }),
  );
}

/** The generators' share of C^2 unless told: an equal split, as Opacus's per-layer clipping with equal thresholds. */
export const DEFAULT_GENERATOR_SHARE = 0.5;

/**
 * A GAN training step under DP-SGD (models/gan_model.ts TrainStepOptions):
 * per-sample gradients for generators and discriminators, each group
 * sanitised with its share of C^2 (the generators `generatorShare`, the
 * discriminators the rest) and noise of std noise * C, so that the step is
 * one sampled Gaussian mechanism of multiplier `noise`: the generator and
 * discriminator gradients are computed from the same state on the same
 * sample (models/gan_base.ts trainStep). `sanitise` is this sanitiser unless
 * a benchmark runs another build's.
 */
export function dpSgdStepOptions(
  o: DpSgdOptions & { generatorShare?: number },
  sanitise: (params: readonly Tensor[], options: DpSgdOptions) => Tensor = sanitisePerSampleGradients,
): TrainStepOptions {
  const { generatorShare = DEFAULT_GENERATOR_SHARE, ...options } = o;
  if (!(generatorShare > 0 && generatorShare < 1)) throw new Error(`DP-SGD: the generators' share of C^2 must be in (0, 1), got ${generatorShare}`);
  const group = (share: number) => (params: NamedParameters) => sanitise(params.map(([, t]) => t), { ...options, share }).dispose();
  return { perSample: true, generatorGradients: group(generatorShare), discriminatorGradients: group(1 - generatorShare) };
}

/**
 * A step whose Poisson sample came out empty: the gradient is the noise
 * alone, noise * clip * N(0, 1) / expectedBatch, as Opacus steps on an empty
 * batch (skipping the step would tell which steps drew nobody). The same for
 * every group: noise is std noise * C whatever the group's share.
 */
export function noiseOnlyGradients(params: readonly Tensor[], options: DpSgdOptions & { expectedBatch: number }): void {
  const { clip, noise, rng } = checkOptions(options);
  noGrad(() =>
    tidy(() => {
      const key = drawRandomKey(rng); // drawn on the backend, parameter k from the stream (key, counter k), as in clipSumNoise
      params.forEach((p, k) => {
        p.grad?.dispose();
        p.grad = keep(mul(randomNormal(p.shape, { ...key, counter: k }), (noise * clip) / options.expectedBatch));
      });
    }),
  );
}

/**
 * The sanitiser's core: each unit's gradients ([U, ...shape] per parameter)
 * clipped to joint norm `bound` (factors min(1, bound / (norm + 1e-6)),
 * Opacus's), summed over units, plus noise of std `noiseStd`, times `scale`: two
 * fused kernel calls for all the parameters, the noise drawn on the backend
 * (parameter k's from the stream (key, counter k), one 64-bit key per step
 * from `rng`: a 32-bit one would repeat a whole noise vector in a long run),
 * nothing read back. Returns the noisy sums and the norms [U].
 */
export function clipSumNoise(perUnit: readonly Tensor[], o: { bound: number; noiseStd: number; rng: Rng; scale: number }): { sums: Tensor[]; norms: Tensor } {
  const norms = sqrt(perSampleSquaredNorms(perUnit));
  const factors = clamp(div(o.bound, add(norms, 1e-6)), 0, 1);
  const sums = clippedSumWithNoise(perUnit, factors, { noiseStd: o.noiseStd, scale: o.scale, key: drawRandomKey(o.rng) });
  return { sums, norms };
}

function checkOptions(options: DpSgdOptions): DpSgdOptions {
  const { clip, noise, expectedBatch, share = 1 } = options;
  if (!(clip > 0) || !(noise >= 0)) throw new Error(`DP-SGD: clip must be > 0 and noise >= 0, got ${clip} and ${noise}`);
  if (!(share > 0 && share <= 1)) throw new Error(`DP-SGD: a group's share of C^2 must be in (0, 1], got ${share}`);
  if (expectedBatch !== undefined && !(expectedBatch > 0)) throw new Error(`DP-SGD: expected batch must be > 0, got ${expectedBatch}`);
  return options;
}

/** Which samples each unit holds: entry u lists unit u's sample indices (none for a label no sample has). */
function unitMembers(units: readonly number[], batch: number): number[][] {
  if (units.length !== batch) throw new Error(`DP-SGD: ${units.length} unit labels for a batch of ${batch}`);
  if (!units.every((u) => Number.isInteger(u) && u >= 0)) throw new Error(`DP-SGD: unit labels must be whole numbers >= 0, got ${units}`);
  const members: number[][] = Array.from({ length: Math.max(...units) + 1 }, () => []);
  units.forEach((u, n) => members[u]!.push(n));
  return members;
}

/**
 * Per-sample gradient [N, ...shape] -> per-unit sums [U, ...shape], each
 * unit's rows added on their own: a matmul by a 0/1 matrix would spread one
 * sample's NaN or infinity (0 x NaN is NaN) into every unit, leaving every
 * unit out of the step, so that one unit changed the sum by all the others'
 * gradients, far past the sensitivity C the accountant assumes.
 */
function sumByUnit(perSample: Tensor, members: readonly number[][]): Tensor {
  const [, ...shape] = perSample.shape as number[];
  const row = (n: number) => slice(perSample, [n, ...shape.map(() => 0)], [1, ...shape]);
  const sums = members.map((samples) => (samples.length ? samples.map(row).reduce((a, b) => add(a, b)) : zeros([1, ...shape])));
  return cat(sums, 0);
}
