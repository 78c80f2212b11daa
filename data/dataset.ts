/**
 * A slice dataset: per subject, the training slices of each contrast, made
 * the same way whether the volumes came from NIfTI files or straight from the
 * phantom (so both give identical slices). Browser-safe; reading folders is
 * in data/fs.
 */
import type { Contrast } from './contrasts.js';
import { DataError } from './errors.js';
import { volumePlane, type VolumePlanes } from './nifti/volume.js';
import { phantomCohort, phantomSliceRange, renderPlanes, type PhantomOptions } from './phantom/cohort.js';
import { planeToSlice } from './slices.js';

/** The reference's axial band, z in [50, 80) (DESIGN.md, "The reference code", Federation and data). */
export const defaultSliceRange: [number, number] = [50, 80];

/** The reference's working size (256); use smaller ones on a CPU. */
export const defaultSize = 256;

export interface Subject {
  id: string;
  /** The acquiring site (IXI's hospital, the phantom's scanner), or null. */
  site: string | null;
  /** Volume plane (index along the third axis) of each slice. */
  z: number[];
  /** Slice side, pixels. */
  size: number;
  /** Per contrast: [z.length, size, size], each slice min-max normalised to [0, 1]. */
  slices: Partial<Record<Contrast, Float32Array>>;
  /** Per contrast, the file the slices were read from (none for the phantom made in memory), for errors that name the data. */
  files?: Partial<Record<Contrast, string>>;
}

export interface SliceOptions {
  contrasts: readonly Contrast[];
  /** Slice side after resizing (default 256). */
  size?: number;
  /** Planes z0 <= z < z1 along the third axis (default [50, 80); the phantom scales it to its depth). */
  sliceRange?: [number, number];
}

export interface SliceDataset {
  source: 'phantom' | 'ixi' | 'brats';
  contrasts: Contrast[];
  size: number;
  sliceRange: [number, number];
  subjects: Subject[];
  /** Subjects left out (a contrast missing, or with skipBadSubjects a problem) and why. */
  skipped: SkippedSubject[];
}

export interface SkippedSubject {
  id: string;
  reason: string;
}

/** `IXI005: ...IXI005-HH-1005-PD.nii.gz: 1 voxel(s) are NaN or infinite`, as stderr and skipped.json show it. */
export function skippedLine(s: SkippedSubject): string {
  return `${s.id}: ${s.reason}`;
}

/** Slice i of a subject's contrast, a view [size, size]. */
export function subjectSlice(subject: Subject, contrast: Contrast, i: number): Float32Array {
  const all = subject.slices[contrast];
  if (!all) throw new RangeError(`subject ${subject.id} has no ${contrast} slices`);
  const area = subject.size * subject.size;
  return all.subarray(i * area, (i + 1) * area);
}

/**
 * Training slices from one subject's volumes (read with at least the planes
 * of `sliceRange`): planes z0..z1-1 of each contrast, padded to a square,
 * resized to `size`, min-max normalised.
 */
export function subjectFromVolumes(
  id: string,
  site: string | null,
  volumes: Partial<Record<Contrast, VolumePlanes>>,
  options: { contrasts: readonly Contrast[]; size: number; sliceRange: [number, number] },
): Subject {
  const [z0, z1] = options.sliceRange;
  const z = Array.from({ length: z1 - z0 }, (_, k) => z0 + k);
  const slices: Partial<Record<Contrast, Float32Array>> = {};
  const area = options.size * options.size;
  for (const contrast of options.contrasts) {
    const volume = volumes[contrast];
    if (!volume) throw new DataError(id, `no ${contrast} volume`);
    const [nx, ny = 1, nz = 1] = volume.shape;
    if (volume.zRange[0] > z0 || volume.zRange[1] < z1) {
      throw new DataError(volume.name, `has planes [${volume.zRange[0]}, ${volume.zRange[1]}) of ${nz}; the slice range needs [${z0}, ${z1})`);
    }
    const out = new Float32Array(z.length * area);
    z.forEach((plane, k) => out.set(planeToSlice(volumePlane(volume, plane), ny, nx, options.size), k * area));
    slices[contrast] = out;
  }
  return { id, site, z, size: options.size, slices };
}

/** The phantom's subject ids: in memory P001..., and as IXI and BraTS name them. */
export function phantomSubjectId(index: number, layout: 'memory' | 'ixi' | 'brats' = 'memory'): string {
  const number = index + 1;
  switch (layout) {
    case 'memory':
      return `P${String(number).padStart(3, '0')}`;
    case 'ixi':
      return `IXI${String(number).padStart(3, '0')}`;
    case 'brats':
      return `BraTS2021_${String(number).padStart(5, '0')}`;
  }
}

/**
 * The phantom's slices without writing files: the same planes a phantom
 * written as NIfTI gives when read back, since planes are rendered one at a
 * time with their own noise streams and stored values are whole numbers.
 */
export function phantomDataset(phantom: PhantomOptions, options: SliceOptions): SliceDataset {
  const cohort = phantomCohort(phantom);
  const depth = cohort.grid.size;
  const size = options.size ?? defaultSize;
  const sliceRange = options.sliceRange ?? phantomSliceRange(depth);
  const [z0, z1] = sliceRange;
  if (!(Number.isInteger(z0) && Number.isInteger(z1) && 0 <= z0 && z0 < z1 && z1 <= depth)) {
    throw new DataError('phantom', `slice range [${z0}, ${z1}) does not fit its ${depth} planes`);
  }
  const contrasts = [...options.contrasts];
  const n = cohort.grid.size;
  const subjects = cohort.subjects.map((s) => {
    const planes = renderPlanes(cohort, s, contrasts, sliceRange);
    const volumes: Partial<Record<Contrast, VolumePlanes>> = {};
    contrasts.forEach((c, k) => {
      volumes[c] = { name: `phantom ${phantomSubjectId(s.index)} ${c}`, shape: [n, n, n], data: planes[k]!, zRange: sliceRange };
    });
    return subjectFromVolumes(phantomSubjectId(s.index), s.site.name, volumes, { contrasts, size, sliceRange });
  });
  return { source: 'phantom', contrasts, size, sliceRange, subjects, skipped: [] };
}
