/**
 * What a dataset folder holds (Node): subjects, contrasts, sites, volume
 * shapes, voxel sizes, datatypes and intensity ranges, and what is missing,
 * unreadable or inconsistent. `fedmed data inspect` prints it.
 */
import { nonFiniteWords, subjectProblems, type BandPlanes, type SubjectVolume } from '../checks.js';
import { join } from 'node:path';
import type { Contrast } from '../contrasts.js';
import { defaultSliceRange } from '../dataset.js';
import { DataError } from '../errors.js';
import { layoutContrasts, type Layout } from '../layouts.js';
import { headerDatatype } from '../nifti/header.js';
import type { NiftiVolume } from '../nifti/volume.js';
import { manifestFiles, phantomManifestName, type PhantomManifest } from '../phantom/files.js';
import { discoverDataset, listFiles } from './discover.js';
import { readNiftiFile } from './nifti.js';

export interface VolumeInfo {
  contrast: Contrast;
  /** Relative to the dataset folder (problem and note lines name the file with the folder, as training does). */
  path: string;
  shape: number[];
  spacing: number[];
  datatype: string;
  /** Intensity range after scaling; absent when only headers were read. */
  min?: number;
  max?: number;
}

export interface SubjectInfo {
  id: string;
  site: string | null;
  volumes: VolumeInfo[];
  missing: Contrast[];
}

export interface InspectReport {
  root: string;
  layout: Layout;
  phantom: PhantomManifest | null;
  /** The band training would slice by default. */
  sliceRange: [number, number];
  subjects: SubjectInfo[];
  ignored: string[];
  /**
   * One line each: what training and eval refuse a subject for (unless
   * --skip-bad-subjects leaves it out): two files of a contrast or two
   * sites, an unreadable file, not 3-D, non-finite voxels or constant planes
   * in the slice band,
   * shapes or voxel grids (affines) that differ within a subject, too few
   * planes.
   */
  problems: string[];
  /** One line each: facts that do not stop training (non-finite voxels outside the slice band). */
  notes: string[];
}

export interface InspectOptions {
  layout?: Layout | 'auto';
  /** Read headers only: fast, but no intensity ranges and no check of the voxel data. */
  headersOnly?: boolean;
  onVolume?: (done: number, total: number, path: string) => void;
}

export async function inspectDataset(root: string, options: InspectOptions = {}): Promise<InspectReport> {
  const index = await discoverDataset(root, options.layout ?? 'auto');
  const contrasts = layoutContrasts(index.layout);
  const sliceRange = index.manifest?.sliceRange ?? defaultSliceRange;
  const problems: string[] = [];
  const notes: string[] = [];
  const total = index.subjects.reduce((n, s) => n + Object.keys(s.files).length, 0);
  let done = 0;
  const subjects: SubjectInfo[] = [];
  for (const s of index.subjects) {
    problems.push(...s.problems.map((p) => `${s.id}: ${p}`));
    const volumes: VolumeInfo[] = [];
    const checked: SubjectVolume[] = [];
    for (const contrast of contrasts) {
      const path = s.files[contrast];
      if (!path) continue;
      // Lines name the file as read (root included), as read errors and training's lines do.
      const file = join(root, path);
      try {
        const volume = await readNiftiFile(file, options.headersOnly ? { zRange: [0, 1] } : {});
        volumes.push(describe(volume, path, contrast, options.headersOnly ?? false));
        checked.push({ contrast, path: file, shape: volume.shape, affine: volume.affine, band: options.headersOnly ? null : bandOf(volume, sliceRange) });
        if (!options.headersOnly) notes.push(...outsideBand(volume, file, sliceRange));
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        problems.push(e.message);
      }
      options.onVolume?.(++done, total, path);
    }
    problems.push(...subjectProblems(s.id, checked));
    for (const v of volumes) {
      const depth = v.shape[2] ?? 1;
      if (depth < sliceRange[1]) problems.push(`${join(root, v.path)}: ${depth} planes along the third axis; the slice range [${sliceRange[0]}, ${sliceRange[1]}) needs ${sliceRange[1]}`);
    }
    subjects.push({ id: s.id, site: s.site, volumes, missing: contrasts.filter((c) => !s.files[c]) });
  }
  if (index.manifest) {
    const held = await againstManifest(root, index.manifest);
    problems.push(...held.problems);
    notes.push(...held.notes);
  }
  return { root, layout: index.layout, phantom: index.manifest, sliceRange, subjects, ignored: index.ignored, problems, notes };
}

/**
 * A phantom folder against its marker: each volume the marker names but the
 * folder lacks is a problem (the phantom is incomplete), each NIfTI file it
 * does not name a note (training reads it as data all the same).
 */
async function againstManifest(root: string, manifest: PhantomManifest): Promise<{ problems: string[]; notes: string[] }> {
  let expected: string[];
  try {
    expected = manifestFiles(manifest);
  } catch (e) {
    throw new DataError(join(root, phantomManifestName), `does not describe a phantom fedmed can remake (${(e as Error).message})`);
  }
  const present = await listFiles(root);
  const named = new Set(expected);
  return {
    problems: expected.filter((f) => !present.includes(f)).map((f) => `${join(root, f)}: missing; ${phantomManifestName} names it, so the phantom is incomplete (remake it: fedmed data phantom --out ${root} --force, with the options it records)`),
    notes: present.filter((f) => /\.nii(\.gz)?$/.test(f) && !named.has(f)).map((f) => `${join(root, f)}: not one of the phantom's volumes (${phantomManifestName}); read as data all the same`),
  };
}

/** The planes of the slice band that `volume` (read whole) holds: what training reads of it. */
function bandOf(volume: NiftiVolume, [z0, z1]: [number, number]): BandPlanes {
  const area = (volume.shape[0] ?? 1) * (volume.shape[1] ?? 1);
  const zRange: [number, number] = [Math.min(z0, volume.zRange[1]), Math.min(z1, volume.zRange[1])];
  return { data: volume.data.subarray(zRange[0] * area, zRange[1] * area), zRange };
}

/** Non-finite voxels outside the slice band: training never reads them, so they are a note, not a problem. */
function outsideBand(volume: NiftiVolume, path: string, sliceRange: [number, number]): string[] {
  const band = bandOf(volume, sliceRange);
  const area = (volume.shape[0] ?? 1) * (volume.shape[1] ?? 1);
  const below = { data: volume.data.subarray(0, band.zRange[0] * area), zRange: [0, band.zRange[0]] as [number, number] };
  const above = { data: volume.data.subarray(band.zRange[1] * area), zRange: [band.zRange[1], volume.zRange[1]] as [number, number] };
  return [below, above].flatMap((planes) => {
    const words = nonFiniteWords(volume.shape, planes);
    return words ? [`${path}: outside the slice band, ${words}; training never reads those planes, but translate refuses the volume`] : [];
  });
}

function describe(volume: NiftiVolume, path: string, contrast: Contrast, headersOnly: boolean): VolumeInfo {
  const info: VolumeInfo = { contrast, path, shape: volume.shape, spacing: volume.spacing, datatype: headerDatatype(volume.header).name };
  if (!headersOnly) {
    let min = Infinity, max = -Infinity;
    for (const v of volume.data) {
      if (!Number.isFinite(v)) continue; // reported as a problem or a note
      if (v < min) min = v;
      if (v > max) max = v;
    }
    info.min = min;
    info.max = max;
  }
  return info;
}
