/**
 * A whole NIfTI volume translated plane by plane along its third axis, the
 * way the model saw its training slices (data/slices.ts `planeToSlice`):
 * each plane padded square, resized to the model's side, min-max scaled to
 * [0, 1] and mapped to [-1, 1]; the translation mapped back to [0, 1],
 * resized to the padded side and cropped to the plane. Browser-safe.
 */
import { finitePlane, isConstant, planeToSlice, resizeBilinear, volumeDims, volumePlane, type NiftiVolume } from '../data/index.js';
import { tensor } from '../engine/index.js';
import { toUnitRange } from './metrics.js';
import { checkFiniteOutput } from './model-output.js';
import type { Direction, GanModel } from '../models/index.js';

/** Translates `count` images [count, 1, size, size] on [-1, 1] into as many on [-1, 1]. */
export type PlaneTranslator = (images: Float32Array, count: number) => Promise<Float32Array>;

/** A GanModel as a PlaneTranslator (its size is the images' side). */
export function modelTranslator(model: GanModel, direction: Direction): PlaneTranslator {
  const size = model.options.size;
  return async (images, count) => {
    const x = tensor(images, [count, 1, size, size]);
    try {
      const y = model.translate(x, direction);
      try {
        return await y.data();
      } finally {
        y.dispose();
      }
    } finally {
      x.dispose();
    }
  };
}

export interface TranslateVolumeOptions {
  /** The translator's image side, pixels. */
  size: number;
  /** Planes z0 <= z < z1 to translate (default all); the others stay 0. */
  planes?: [number, number];
  /** Planes per translator call (default 8). */
  batch?: number;
  /** Called after each batch with the planes done and the planes asked for; a promise it returns is awaited (a page yields there to repaint). */
  onProgress?: (done: number, total: number) => unknown;
  /** Names the translator in the error for a NaN or infinite output (a checkpoint file; default 'the model'). */
  modelName?: string;
}

/**
 * The translated volume, [nx, ny, nz] x fastest like the input's data, every
 * value on [0, 1] (each plane on its own scale, as training slices are); a
 * constant input plane is 0, untranslated. A non-finite voxel is an error
 * naming the file and the slice; so is a NaN or infinite translation,
 * naming the model and the plane.
 */
export async function translateVolume(volume: NiftiVolume, translator: PlaneTranslator, options: TranslateVolumeOptions): Promise<Float32Array> {
  const [nx, ny, nz] = volumeDims(volume);
  const { size } = options;
  const [z0, z1] = options.planes ?? [0, nz];
  const batch = options.batch ?? 8;
  const area = size * size;
  const out = new Float32Array(nx * ny * nz);
  for (let start = z0; start < z1; start += batch) {
    const count = Math.min(batch, z1 - start);
    // A constant plane (blank, outside the head) holds nothing to translate: it stays 0, as both scorers leave such planes out.
    const zs = Array.from({ length: count }, (_, k) => start + k).filter((z) => !isConstant(finitePlane(volume, z)));
    if (zs.length) {
      const images = new Float32Array(zs.length * area);
      for (const [k, z] of zs.entries()) {
        const slice = planeToSlice(volumePlane(volume, z), ny, nx, size);
        for (let i = 0; i < area; i++) images[k * area + i] = slice[i]! * 2 - 1;
      }
      const translated = await translator(images, zs.length);
      if (translated.length !== zs.length * area) throw new Error(`translateVolume: the translator gave ${translated.length} values for ${zs.length} images of ${size}x${size}`);
      checkFiniteOutput(translated, size, options.modelName ?? 'the model', (k) => `plane z=${zs[k]} of ${volume.name}`);
      for (const [k, z] of zs.entries()) {
        const unit = toUnitRange(translated.subarray(k * area, (k + 1) * area));
        out.set(sliceToPlane(unit, size, ny, nx), z * nx * ny);
      }
    }
    await options.onProgress?.(start + count - z0, z1 - z0);
  }
  return out;
}

/**
 * The inverse of `planeToSlice`'s geometry: a [size, size] image resized to
 * the padded square of a [height, width] plane and cropped where
 * `padToSquare` put the plane; clamped to [0, 1] against rounding.
 */
export function sliceToPlane(image: Float32Array, size: number, height: number, width: number): Float32Array {
  const side = Math.max(height, width);
  const square = resizeBilinear(image, size, size, side, side);
  const top = (side - height) >> 1; // as padToSquare centres the plane
  const left = (side - width) >> 1;
  const plane = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) plane[y * width + x] = Math.min(1, Math.max(0, square[(top + y) * side + left + x]!));
  }
  return plane;
}
