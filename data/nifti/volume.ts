/** A NIfTI volume in memory: its header and its voxels as float32 after scaling. */
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
