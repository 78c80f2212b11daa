/**
 * Misalignment augmentation (DESIGN.md, "The reference code", Federation and data; the paper's section
 * 4): a random rotation, shift and scaling of one slice, drawn independently
 * for each contrast of an item, resampled nearest-neighbour with 0 outside.
 * - slight, level L (default 3): angle U[-L, L] degrees, shift U[-0.02L, 0.02L]
 *   of the size along each axis, scale U[1 - 0.02L, 1 + 0.02L];
 * - severe: angle U[-90, 90], shift U[-0.12, 0.12] of the size, scale U[0.9, 1.1].
 * The scale range is read as the reference's torchvision RandomAffine takes
 * it, an interval around 1.
 */
import type { Rng } from '../engine/index.js';

export type Misalignment = { mode: 'none' } | { mode: 'slight'; level?: number } | { mode: 'severe' };

export interface AffineParams {
  /** Rotation, degrees; positive turns clockwise as displayed (row 0 at the top). */
  angle: number;
  /** Shift, pixels, along x (columns) and y (rows). */
  shiftX: number;
  shiftY: number;
  scale: number;
}

/** The ranges a mode draws from: |angle| <= maxAngle, |shift| <= maxShift * size, scale in [1 - maxScale, 1 + maxScale]. */
export function misalignmentRanges(m: Misalignment): { maxAngle: number; maxShift: number; maxScale: number } {
  switch (m.mode) {
    case 'none':
      return { maxAngle: 0, maxShift: 0, maxScale: 0 };
    case 'slight': {
      const level = m.level ?? 3;
      if (!(level >= 0)) throw new RangeError(`slight misalignment level must be at least 0, got ${level}`);
      return { maxAngle: level, maxShift: 0.02 * level, maxScale: 0.02 * level };
    }
    case 'severe':
      return { maxAngle: 90, maxShift: 0.12, maxScale: 0.1 };
  }
}

/** One draw of the transform for a slice of side `size`. */
export function drawMisalignment(rng: Rng, m: Misalignment, size: number): AffineParams {
  const { maxAngle, maxShift, maxScale } = misalignmentRanges(m);
  const symmetric = (half: number) => half * (2 * rng.uniform() - 1);
  return { angle: symmetric(maxAngle), shiftX: symmetric(maxShift * size), shiftY: symmetric(maxShift * size), scale: 1 + symmetric(maxScale) };
}

/**
 * Applies p to a [size, size] image about its centre: output pixel q shows
 * input pixel round(c + R(-angle) (q - c - shift) / scale), or 0 outside.
 */
export function warpNearest(src: Float32Array, size: number, p: AffineParams, out: Float32Array = new Float32Array(size * size)): Float32Array {
  const c = (size - 1) / 2;
  const radians = (p.angle * Math.PI) / 180;
  const cos = Math.cos(radians) / p.scale;
  const sin = Math.sin(radians) / p.scale;
  for (let y = 0; y < size; y++) {
    const dy = y - c - p.shiftY;
    for (let x = 0; x < size; x++) {
      const dx = x - c - p.shiftX;
      // Inverse of "rotate by angle (clockwise with y down), scale, shift".
      const sx = Math.round(c + cos * dx + sin * dy);
      const sy = Math.round(c - sin * dx + cos * dy);
      out[y * size + x] = sx >= 0 && sx < size && sy >= 0 && sy < size ? src[sy * size + sx]! : 0;
    }
  }
  return out;
}
