/**
 * DP-SGD's gradient sanitiser (Abadi et al. 2016, the paper's Eq. 2): after
 * a per-sample backward pass (every parameter's grad is [N, ...shape]), each
 * sample's gradient is clipped to total L2 norm `clip` across all the given
 * parameters, the clipped gradients are summed, Gaussian noise of standard
 * deviation noise * clip is added, and the sum is divided by N. The result
 * replaces each parameter's grad, ready for the optimizer.
 */
import { add, clamp, clippedSumWithNoise, div, keep, noGrad, perSampleSquaredNorms, sqrt, tidy, type Rng, type Tensor } from '../../engine/index.js';

export interface DpSgdOptions {
  /** The clipping bound C on each sample's gradient norm. */
  clip: number;
  /** The noise multiplier sigma: noise std is sigma * C. */
  noise: number;
  rng: Rng;
}

/**
 * Clips, sums, noises and averages per-sample gradients in place (see the
 * header), without reading anything back: the clip factors
 * min(1, C / (norm + 1e-6)) (Opacus's) are computed on the backend.
 * Parameters without a grad are skipped; those with one must all carry the
 * same batch size N on axis 0. Returns each sample's gradient norm before
 * clipping, [N]; the caller disposes it.
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
  const { clip, noise, rng } = options;
  if (!(clip > 0) || !(noise >= 0)) throw new Error(`DP-SGD: clip must be > 0 and noise >= 0, got ${clip} and ${noise}`);
  return noGrad(() =>
    tidy(() => {
      const norms = sqrt(perSampleSquaredNorms(withGrad.map((p) => p.grad!)));
      const factors = clamp(div(clip, add(norms, 1e-6)), 0, 1);
      const seed = rng.nextUint32(); // the noise is drawn on the backend: parameter k's is stream (seed, k)
      for (const [k, p] of withGrad.entries()) {
        const perSample = p.grad!;
        p.grad = keep(clippedSumWithNoise(perSample, factors, { noiseStd: noise * clip, scale: 1 / batch, key: { seed, counter: k } }));
        perSample.dispose();
      }
      return norms;
    }),
  );
}

/** The share of samples whose gradient norm exceeded the bound (read back from `norms`). */
export async function clippedFraction(norms: Tensor, clip: number): Promise<number> {
  const values = await norms.data();
  return values.filter((n) => clip / (n + 1e-6) < 1).length / values.length;
}
