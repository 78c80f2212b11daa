/**
 * Image-quality metrics on the [0, 1] scale: MAE, MSE, PSNR (peak 1), SSIM as
 * scikit-image 0.19's `structural_similarity(data_range=1)` computes it, and
 * the reference code's batch-global SSIM. Pure functions on Float32Array
 * images stored row-major (H x W, or N of them back to back); all sums run in
 * float64. DESIGN.md, "The reference code", Evaluation.
 */

/** An image's size in pixels. */
export interface ImageSize {
  height: number;
  width: number;
}

/** Mean absolute error over all elements (one image or a whole batch). */
export function mae(a: Float32Array, b: Float32Array): number {
  checkSameLength(a, b, 'mae');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** Mean squared error over all elements. */
export function mse(a: Float32Array, b: Float32Array): number {
  checkSameLength(a, b, 'mse');
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum / a.length;
}

/**
 * Peak signal-to-noise ratio in dB for images on [0, 1]: 10 log10(1 / MSE).
 * Identical images (MSE 0) give +Infinity, as skimage's
 * `peak_signal_noise_ratio` does; no cap is applied, so a mean over images
 * that includes an exact match is +Infinity too. The run-file writers
 * (eval/records.ts) spell it `inf` in CSV and `null` in JSON.
 */
export function psnr(a: Float32Array, b: Float32Array): number {
  const error = mse(a, b);
  return error === 0 ? Infinity : 10 * Math.log10(1 / error);
}

/** Which local weighting SSIM uses; see `ssim`. */
export type SsimWindow = 'uniform' | 'gaussian';

export interface SsimOptions {
  /** 'uniform' (default) or 'gaussian'. */
  window?: SsimWindow;
}

// skimage 0.19 `structural_similarity` constants: K1, K2, and the Gaussian
// weights' sigma and truncation (3.5 sigma gives an 11-tap filter at 1.5).
const K1 = 0.01;
const K2 = 0.03;
const UNIFORM_SIZE = 7;
const GAUSSIAN_SIGMA = 1.5;
const GAUSSIAN_TRUNCATE = 3.5;

/**
 * Mean structural similarity of two H x W images on [0, 1], equal to
 * skimage 0.19 `structural_similarity(a, b, data_range=1)` (window 'uniform':
 * 7x7 mean filter, sample covariance, factor 49/48) or to the same call with
 * `gaussian_weights=True, sigma=1.5, use_sample_covariance=False` (window
 * 'gaussian': 11x11 Gaussian, population covariance, as Wang et al. 2004).
 * The SSIM map's border of (win - 1) / 2 pixels is dropped before
 * averaging, as skimage does. Symmetric in a, b.
 */
export function ssim(a: Float32Array, b: Float32Array, size: ImageSize, options: SsimOptions = {}): number {
  const { height, width } = size;
  const window = options.window ?? 'uniform';
  if (a.length !== height * width || b.length !== height * width) {
    throw new Error(`ssim: images of ${a.length} and ${b.length} values are not ${height}x${width}`);
  }
  const weights = window === 'gaussian' ? gaussianWeights(GAUSSIAN_SIGMA, GAUSSIAN_TRUNCATE) : uniformWeights(UNIFORM_SIZE);
  const win = weights.length;
  if (height < win || width < win) {
    throw new Error(`ssim: a ${height}x${width} image is smaller than the ${window} window (${win}x${win})`);
  }
  const np = win * win;
  const covNorm = window === 'gaussian' ? 1 : np / (np - 1);

  const n = height * width;
  const x = Float64Array.from(a);
  const y = Float64Array.from(b);
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i]! * x[i]!;
    yy[i] = y[i]! * y[i]!;
    xy[i] = x[i]! * y[i]!;
  }
  // skimage filters the whole image (scipy 'reflect' boundary), then drops a
  // border of (win - 1) / 2 before averaging: every pixel it keeps has its
  // window inside the image, so the boundary mode never reaches the result
  // and filtering the valid region alone gives the same mean.
  const [ux, uy, uxx, uyy, uxy] = [x, y, xx, yy, xy].map((img) => correlateValid(img, height, width, weights));
  const c1 = K1 * K1; // (K1 * data_range)^2 with data_range 1
  const c2 = K2 * K2;
  const count = ux!.length;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const mx = ux![i]!;
    const my = uy![i]!;
    const vx = covNorm * (uxx![i]! - mx * mx);
    const vy = covNorm * (uyy![i]! - my * my);
    const vxy = covNorm * (uxy![i]! - mx * my);
    total += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  }
  return total / count;
}

/**
 * The reference code's SSIM (M-3LAB/FedMed-GAN `metrics/metrics.py`, `ssim`):
 * one window over every element given, usually a whole batch of 4 slices,
 * with C1 = 0.01 and C2 = 0.03 used as is (not squared) and the variances
 * taken unbiased (torch `std()`, divisor n - 1) while the covariance is a
 * plain mean (divisor n), so identical inputs score slightly below 1.
 * Symmetric in its arguments. Computed in float64 (the reference uses
 * float32 tensors); the reference's epoch figure is the mean of this value
 * over its batches. Kept as `ssim-global` to compare with the paper.
 */
export function ssimGlobal(real: Float32Array, fake: Float32Array): number {
  checkSameLength(real, fake, 'ssimGlobal');
  const n = real.length;
  if (n < 2) throw new Error(`ssimGlobal: needs at least 2 values, got ${n}`);
  let sumReal = 0;
  let sumFake = 0;
  for (let i = 0; i < n; i++) {
    sumReal += real[i]!;
    sumFake += fake[i]!;
  }
  const meanReal = sumReal / n;
  const meanFake = sumFake / n;
  let ssReal = 0;
  let ssFake = 0;
  let cross = 0;
  for (let i = 0; i < n; i++) {
    const dr = real[i]! - meanReal;
    const df = fake[i]! - meanFake;
    ssReal += dr * dr;
    ssFake += df * df;
    cross += dr * df;
  }
  const c1 = 0.01;
  const c2 = 0.03;
  const covariance = cross / n;
  const numerator = (2 * meanReal * meanFake + c1) * (2 * covariance + c2);
  const denominator = (meanReal * meanReal + meanFake * meanFake + c1) * (ssReal / (n - 1) + ssFake / (n - 1) + c2);
  return numerator / denominator;
}

/** Per-image metrics of one synthesized slice against its target. */
export interface ImageMetrics {
  mae: number;
  psnr: number;
  ssim: number;
  ssimGaussian: number;
}

/**
 * MAE, PSNR and both SSIMs for each of the N images of a batch stored back to
 * back (`[N, H, W]` or `[N, 1, H, W]`), target first. Both on [0, 1].
 */
export function imageMetrics(target: Float32Array, synthesized: Float32Array, size: ImageSize): ImageMetrics[] {
  checkSameLength(target, synthesized, 'imageMetrics');
  const pixels = size.height * size.width;
  if (pixels === 0 || target.length % pixels !== 0) {
    throw new Error(`imageMetrics: ${target.length} values are not a whole number of ${size.height}x${size.width} images`);
  }
  const out: ImageMetrics[] = [];
  for (let offset = 0; offset < target.length; offset += pixels) {
    const t = target.subarray(offset, offset + pixels);
    const s = synthesized.subarray(offset, offset + pixels);
    out.push({
      mae: mae(t, s),
      psnr: psnr(t, s),
      ssim: ssim(t, s, size),
      ssimGaussian: ssim(t, s, size, { window: 'gaussian' }),
    });
  }
  return out;
}

/**
 * Maps generator output (tanh, [-1, 1]) to [0, 1]: (x + 1) / 2, clamped, so a
 * slight overshoot cannot push MAE / PSNR past the true range. NaN stays NaN
 * and an infinity clamps to 0 or 1: callers refuse non-finite output first
 * (eval/model-output.ts checkFiniteOutput).
 */
export function toUnitRange(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(1, Math.max(0, (x[i]! + 1) * 0.5));
  return out;
}

/** Normalised 1-D weights of a uniform (box) filter. */
function uniformWeights(size: number): Float64Array {
  return new Float64Array(size).fill(1 / size);
}

/**
 * scipy.ndimage's Gaussian kernel: radius int(truncate * sigma + 0.5), taps
 * exp(-x^2 / (2 sigma^2)) normalised to sum 1.
 */
function gaussianWeights(sigma: number, truncate: number): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-0.5 / (sigma * sigma)) * i * i);
    w[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < w.length; i++) w[i] = w[i]! / sum;
  return w;
}

/**
 * Separable correlation with odd-length weights over the valid region only:
 * the output is (height - win + 1) x (width - win + 1), pixel (r, c) centred
 * on input (r + radius, c + radius). Rows first, as scipy filters axis 0
 * first (the order only changes rounding).
 */
function correlateValid(img: Float64Array, height: number, width: number, weights: Float64Array): Float64Array {
  const win = weights.length;
  const outHeight = height - win + 1;
  const outWidth = width - win + 1;
  const tmp = new Float64Array(outHeight * width);
  for (let r = 0; r < outHeight; r++) {
    for (let c = 0; c < width; c++) {
      let acc = 0;
      for (let k = 0; k < win; k++) acc += weights[k]! * img[(r + k) * width + c]!;
      tmp[r * width + c] = acc;
    }
  }
  const out = new Float64Array(outHeight * outWidth);
  for (let r = 0; r < outHeight; r++) {
    for (let c = 0; c < outWidth; c++) {
      let acc = 0;
      for (let k = 0; k < win; k++) acc += weights[k]! * tmp[r * width + c + k]!;
      out[r * outWidth + c] = acc;
    }
  }
  return out;
}

function checkSameLength(a: Float32Array, b: Float32Array, where: string): void {
  if (a.length !== b.length) throw new Error(`${where}: inputs differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new Error(`${where}: empty input`);
}
