/** A NIfTI volume in memory: its header and its voxels as float32 after scaling. */
import { DataError } from '../errors.js';
import type { NiftiHeader } from './header.js';

export interface NiftiVolume {
  /** The file (or name) it came from, for messages. */
  name: string;
  header: NiftiHeader;
  /** Image sizes, dim[1..dim[0]]: [nx, ny, nz, ...]. */
  shape: number[];
  /** Voxel sizes pixdim[1..dim[0]]. */
  spacing: number[];
  /** 4x4 voxel-to-world matrix, row-major (nibabel's best affine). */
  affine: number[][];
  /**
   * Voxels times scl_slope plus scl_inter, x fastest then y then z (the file's
   * order). Only the planes zRange[0] <= z < zRange[1] of the first volume
   * when a range was asked for.
   */
  data: Float32Array;
  /** The planes along the third axis that `data` holds. */
  zRange: [number, number];
}

/** What slicing needs of a volume: its shape and some of its planes. */
export type VolumePlanes = Pick<NiftiVolume, 'name' | 'shape' | 'data' | 'zRange'>;

/** Plane z (an index into the whole volume, inside zRange) as a view [ny, nx]. */
export function volumePlane(v: VolumePlanes, z: number): Float32Array {
  const [nx, ny] = [v.shape[0]!, v.shape[1] ?? 1];
  if (z < v.zRange[0] || z >= v.zRange[1]) throw new RangeError(`${v.name}: plane ${z} is outside the planes read, [${v.zRange[0]}, ${v.zRange[1]})`);
  const start = (z - v.zRange[0]) * nx * ny;
  return v.data.subarray(start, start + nx * ny);
}

/** [nx, ny, nz] of a volume that must be one 3-D volume (trailing dims of 1 allowed). */
export function volumeDims(volume: Pick<NiftiVolume, 'name' | 'shape'>): [number, number, number] {
  const shape = volume.shape;
  if (shape.length < 3 || shape.slice(3).some((n) => n !== 1)) {
    throw new DataError(volume.name, `is ${shape.length}-D (${shape.join('x')}); one 3-D volume is needed`);
  }
  return [shape[0]!, shape[1]!, shape[2]!];
}

/** Plane z as a view [ny, nx]; a NaN or infinite voxel is an error naming the file, the slice and the voxel. */
export function finitePlane(volume: VolumePlanes, z: number): Float32Array {
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
