/**
 * Whole NIfTI volumes as stacks of planes along their third axis (axial in
 * the usual storage), for `fedmed translate` and `fedmed metrics`: the shape
 * check (one 3-D volume), the `--planes z0:z1` range, and planes read with
 * every voxel checked to be finite. Browser-safe.
 */
import { DataError, volumePlane, type NiftiVolume } from '../data/index.js';
import { UsageError } from './args.js';

/** [nx, ny, nz] of a volume that must be one 3-D volume (trailing dims of 1 allowed). */
export function volumeDims(volume: Pick<NiftiVolume, 'name' | 'shape'>): [number, number, number] {
  const shape = volume.shape;
  if (shape.length < 3 || shape.slice(3).some((n) => n !== 1)) {
    throw new DataError(volume.name, `is ${shape.length}-D (${shape.join('x')}); one 3-D volume is needed`);
  }
  return [shape[0]!, shape[1]!, shape[2]!];
}

/**
 * Planes z0 <= z < z1 from `text` ('z0:z1', either end may be left out, as
 * in Python: '90:', ':40'), or all `nz` planes when there is no text.
 */
export function parsePlanes(text: string | undefined, nz: number, flag = '--planes'): [number, number] {
  if (text === undefined) return [0, nz];
  const match = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(text);
  if (!match) throw new UsageError(`${flag} is z0:z1 (planes z0 <= z < z1 along the third axis), got '${text}'`);
  const z0 = match[1] === '' ? 0 : Number(match[1]);
  const z1 = match[2] === '' ? nz : Number(match[2]);
  if (!(z0 < z1 && z1 <= nz)) throw new UsageError(`${flag} ${text}: needs 0 <= z0 < z1 <= ${nz} (the volume's planes)`);
  return [z0, z1];
}

/** Plane z as a view [ny, nx]; a NaN or infinite voxel is an error naming the file, the slice and the voxel. */
export function finitePlane(volume: NiftiVolume, z: number): Float32Array {
  const plane = volumePlane(volume, z);
  for (let i = 0; i < plane.length; i++) {
    const v = plane[i]!;
    if (!Number.isFinite(v)) {
      const nx = volume.shape[0]!;
      throw new DataError(volume.name, `${v} at voxel (${i % nx}, ${Math.floor(i / nx)}, ${z}) in slice z=${z}`);
    }
  }
  return plane;
}
