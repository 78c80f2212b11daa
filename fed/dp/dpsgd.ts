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
 */
import { add, clamp, clippedSumWithNoise, div, keep, matmul, mul, noGrad, perSampleSquaredNorms, randomNormal, reshape, sqrt, tensor, tidy, type Rng, type Tensor } from '../../engine/index.js';

export interface DpSgdOptions {
  /** The clipping bound C on each unit's gradient norm. */
  clip: number;
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
  const { clip, noise, rng } = checkOptions(options);
  const units = options.units ? unitMatrix(options.units, batch) : null;
  const divisor = options.expectedBatch ?? batch;
  return noGrad(() =>
    tidy(() => {
      const perUnit = withGrad.map((p) => (units ? sumByUnit(p.grad!, units) : p.grad!));
      const { sums, norms } = clipSumNoise(perUnit, { clip, noise, rng, scale: 1 / divisor });
      withGrad.forEach((p, k) => {
        p.grad!.dispose();
        p.grad = keep(sums[k]!);
      });
      return norms;
    }),
  );
}

/**
 * A step whose Poisson sample came out empty: the gradient is the noise
 * alone, noise * clip * N(0, 1) / expectedBatch, as Opacus steps on an empty
 * batch (skipping the step would tell which steps drew nobody).
 */
export function noiseOnlyGradients(params: readonly Tensor[], options: DpSgdOptions & { expectedBatch: number }): void {
  const { clip, noise, rng } = checkOptions(options);
  noGrad(() =>
    tidy(() => {
      const seed = rng.nextUint32(); // drawn on the backend, parameter k from stream (seed, k), as in clipSumNoise
      params.forEach((p, k) => {
        p.grad?.dispose();
        p.grad = keep(mul(randomNormal(p.shape, { seed, counter: k }), (noise * clip) / options.expectedBatch));
      });
    }),
  );
}

/**
 * The sanitiser's core: each unit's gradients ([U, ...shape] per parameter)
 * clipped to joint norm `clip` (factors min(1, C / (norm + 1e-6)), Opacus's),
 * summed over units, plus noise of std noise * clip, times `scale`: two
 * fused kernel calls for all the parameters, the noise drawn on the backend
 * (parameter k's from the stream (seed, k), one seed per step from `rng`),
 * nothing read back. Returns the noisy sums and the norms [U].
 */
export function clipSumNoise(perUnit: readonly Tensor[], o: { clip: number; noise: number; rng: Rng; scale: number }): { sums: Tensor[]; norms: Tensor } {
  const norms = sqrt(perSampleSquaredNorms(perUnit));
  const factors = clamp(div(o.clip, add(norms, 1e-6)), 0, 1);
  const seed = o.rng.nextUint32();
  const sums = clippedSumWithNoise(perUnit, factors, { noiseStd: o.noise * o.clip, scale: o.scale, key: { seed, counter: 0 } });
  return { sums, norms };
}

function checkOptions(options: DpSgdOptions): DpSgdOptions {
  const { clip, noise, expectedBatch } = options;
  if (!(clip > 0) || !(noise >= 0)) throw new Error(`DP-SGD: clip must be > 0 and noise >= 0, got ${clip} and ${noise}`);
  if (expectedBatch !== undefined && !(expectedBatch > 0)) throw new Error(`DP-SGD: expected batch must be > 0, got ${expectedBatch}`);
  return options;
}

/** Which samples each unit holds: `onehot` is [count, N], 1 where sample n belongs to unit u. */
interface UnitMatrix {
  onehot: Float32Array;
  count: number;
}

function unitMatrix(units: readonly number[], batch: number): UnitMatrix {
  if (units.length !== batch) throw new Error(`DP-SGD: ${units.length} unit labels for a batch of ${batch}`);
  if (!units.every((u) => Number.isInteger(u) && u >= 0)) throw new Error(`DP-SGD: unit labels must be whole numbers >= 0, got ${units}`);
  const count = Math.max(...units) + 1;
  const onehot = new Float32Array(count * batch);
  units.forEach((u, n) => (onehot[u * batch + n] = 1));
  return { onehot, count };
}

/** Per-sample gradient [N, ...shape] -> per-unit sums [U, ...shape], as one matmul. */
function sumByUnit(perSample: Tensor, units: UnitMatrix): Tensor {
  const [batch, ...shape] = perSample.shape as number[];
  const summed = matmul(tensor(units.onehot, [units.count, batch!]), reshape(perSample, [batch!, -1]));
  return reshape(summed, [units.count, ...shape]);
}

/** The share of units whose gradient norm exceeded the bound (read back from `norms`). */
export async function clippedFraction(norms: Tensor, clip: number): Promise<number> {
  const values = await norms.data();
  return values.filter((n) => clip / (n + 1e-6) < 1).length / values.length;
}
