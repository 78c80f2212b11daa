/**
 * A generator's output checked before it is scored or written. Weights that
 * overflow (a diverged run, a backend bug) give NaN or infinite pixels even
 * when every weight is finite, which fed/checkpoint.ts's check cannot see;
 * toUnitRange would pass NaN on and clamp an infinity into a plausible 0 or 1.
 * Browser-safe.
 */

/**
 * Throws one line when `values` (images of side `size`, one after another)
 * hold a NaN or infinite pixel: `model` (a checkpoint file, say) gave that
 * value for `image(k)`, the k-th image (a plane, a subject's slice).
 */
export function checkFiniteOutput(values: Float32Array, size: number, model: string, image: (k: number) => string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) continue;
    const area = size * size;
    const [k, p] = [Math.floor(i / area), i % area];
    throw new Error(`${model} gave ${v} for ${image(k)} (pixel (${p % size}, ${Math.floor(p / size)}) of its ${size}x${size} output): its weights are diverged or broken; nothing is scored or written`);
  }
}
