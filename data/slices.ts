/**
 * From volume planes to training images: pad to a square, resize bilinearly
 * to the working size, min-max each slice to [0, 1] (DESIGN.md, "The reference code", Federation and data).
 * The model's range, [-1, 1], is applied when batches are made.
 */

/**
 * Resizes a [height, width] image to [outHeight, outWidth] with a separable
 * triangle (bilinear) filter, pixel centres at half-integers
 * (align_corners=False). Shrinking widens the filter by the scale, as PIL's
 * BILINEAR and PyTorch's interpolate(antialias=True) do, so no input pixel is
 * skipped; enlarging is plain bilinear interpolation.
 */
export function resizeBilinear(src: Float32Array, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  if (src.length !== height * width) throw new RangeError(`resizeBilinear: ${src.length} values for [${height}, ${width}]`);
  if (height === outHeight && width === outWidth) return src.slice();
  const rows = filterTaps(height, outHeight);
  const cols = filterTaps(width, outWidth);
  // Along x first: [height, outWidth]; then along y.
  const mid = new Float32Array(height * outWidth);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < outWidth; x++) {
      const { start, weights } = cols[x]!;
      let acc = 0;
      for (let t = 0; t < weights.length; t++) acc += weights[t]! * src[row + start + t]!;
      mid[y * outWidth + x] = acc;
    }
  }
  const out = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    const { start, weights } = rows[y]!;
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      for (let t = 0; t < weights.length; t++) acc += weights[t]! * mid[(start + t) * outWidth + x]!;
      out[y * outWidth + x] = acc;
    }
  }
  return out;
}

/** For each output index: the first input index and the normalised triangle weights from there. */
function filterTaps(inSize: number, outSize: number): { start: number; weights: Float64Array }[] {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1); // the triangle's half-width in input pixels
  const taps = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const start = Math.max(Math.floor(centre - support + 0.5), 0);
    const stop = Math.min(Math.floor(centre + support + 0.5), inSize);
    const weights = new Float64Array(stop - start);
    let total = 0;
    for (let i = start; i < stop; i++) {
      const w = Math.max(0, 1 - Math.abs((i - centre + 0.5) / support));
      weights[i - start] = w;
      total += w;
    }
    for (let t = 0; t < weights.length; t++) weights[t]! /= total;
    taps.push({ start, weights });
  }
  return taps;
}

/** The reference's ToTensor adds it to the range: training slices keep it, so every trained figure stays as measured. */
export const referenceMinMaxEpsilon = 1e-8;

/**
 * Maps an image to [0, 1] by its own minimum and maximum, in place:
 * (x - min) / (max - min + epsilon). Training and translation use the
 * reference's epsilon (the default); `fedmed metrics` uses 0, exact min-max
 * as the usual definitions of the scores (a range near 1e-8, as in float
 * maps scaled to ~1e-6, is where the two differ). A constant image becomes
 * zeros. The one min-max of the project.
 */
export function minMaxNormalize(image: Float32Array, epsilon = referenceMinMaxEpsilon): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of image) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min + epsilon;
  const scale = range > 0 ? 1 / range : 0;
  for (let i = 0; i < image.length; i++) image[i] = (image[i]! - min) * scale;
  return image;
}

/**
 * A [height, width] plane centred in a square of side max(height, width),
 * filled with the plane's minimum (background after min-max), so resizing to
 * a square keeps the aspect ratio.
 */
export function padToSquare(plane: Float32Array, height: number, width: number): { image: Float32Array; side: number } {
  if (height === width) return { image: plane, side: height };
  const side = Math.max(height, width);
  let min = Infinity;
  for (const v of plane) if (v < min) min = v;
  const image = new Float32Array(side * side).fill(min);
  const top = (side - height) >> 1;
  const left = (side - width) >> 1;
  for (let y = 0; y < height; y++) image.set(plane.subarray(y * width, (y + 1) * width), (top + y) * side + left);
  return { image, side };
}

/** One plane [height, width] as a training image [size, size] in [0, 1]. */
export function planeToSlice(plane: Float32Array, height: number, width: number, size: number): Float32Array {
  const { image, side } = padToSquare(plane, height, width);
  return minMaxNormalize(resizeBilinear(image, side, side, size, size));
}
