/**
 * GS-WGAN's gradient sanitiser (Chen et al. 2020), the mechanism FedMed-GAN's
 * code means to use: the gradient that flows from a discriminator back into
 * the generated image is clipped per sample and noised, so the generator
 * learns from the discriminators only through a Gaussian mechanism. As in
 * GS-WGAN, the bound is C / N (the loss averages over the batch) and the
 * noise std per pixel is sigma * sensitivity * C / N.
 */
import { add, clamp, div, drawRandomKey, gradientHook, mul, randomNormal, sqrt, square, sum, type Rng, type Tensor } from '../../engine/index.js';

/**
 * Said beside every epsilon a GS-WGAN run shows (the ledger carries it):
 * the accountant's number assumes every use of the data is sanitised, and
 * here most are not.
 */
export const GS_WGAN_EPSILON_CAVEAT =
  "this epsilon is not a guarantee for the generators: GS-WGAN noises only the image gradient from the discriminators, while the cycle and identity terms and the discriminators' own training read real images without noise";

export interface GsWganOptions {
  clip: number;
  noise: number;
  /** GS-WGAN's sensitivity factor (2.0 in FedMed-GAN's code). */
  sensitivity: number;
  rng: Rng;
}

/**
 * Marks `image` (a generated batch about to enter a discriminator): the
 * forward pass is unchanged; in the backward pass each sample's gradient is
 * scaled by min(1, bound / (norm + 1e-10)) and Gaussian noise is added,
 * from a fresh 64-bit key per backward pass (as DP-SGD's, fed/dp/dpsgd.ts).
 */
export function sanitiseImageGradient(image: Tensor, options: GsWganOptions): Tensor {
  const { clip, noise, sensitivity, rng } = options;
  return gradientHook(image, (dy) => {
    const batch = dy.shape[0]!;
    const bound = clip / batch;
    const norms = sqrt(sum(square(dy), dy.shape.slice(1).map((_, i) => i + 1), true));
    const factor = clamp(div(bound, add(norms, 1e-10)), 0, 1);
    return add(mul(dy, factor), mul(randomNormal(dy.shape, drawRandomKey(rng)), noise * sensitivity * bound));
  });
}
