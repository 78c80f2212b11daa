/**
 * What a dataset folder holds (Node): subjects, contrasts, sites, volume
 * shapes, voxel sizes, datatypes and intensity ranges, and what is missing,
 * unreadable or inconsistent. `fedmed data inspect` prints it.
 */
import { shapeMismatch, volumeProblems } from '../checks.js';
import { join } from 'node:path';
import type { Contrast } from '../contrasts.js';
import { defaultSliceRange } from '../dataset.js';
import { DataError } from '../errors.js';
import { layoutContrasts, type Layout } from '../layouts.js';
import { headerDatatype } from '../nifti/header.js';
import type { PhantomManifest } from '../phantom/files.js';
import { discoverDataset } from './discover.js';
import { readNiftiFile } from './nifti.js';

export interface VolumeInfo {
  contrast: Contrast;
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
  /** One line each: duplicates, unreadable files, shapes that differ within a subject, too few planes. */
  problems: string[];
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
  const problems = [...index.problems];
  const total = index.subjects.reduce((n, s) => n + Object.keys(s.files).length, 0);
  let done = 0;
  const subjects: SubjectInfo[] = [];
  for (const s of index.subjects) {
    const volumes: VolumeInfo[] = [];
    for (const contrast of contrasts) {
      const path = s.files[contrast];
      if (!path) continue;
      try {
        const { info, problems: found } = await describe(join(root, path), path, contrast, options.headersOnly ?? false);
        volumes.push(info);
        problems.push(...found);
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        problems.push(e.message);
      }
      options.onVolume?.(++done, total, path);
    }
    problems.push(...shapeMismatch(s.id, volumes.map((v) => ({ ...v, data: null }))));
    for (const v of volumes) {
      const depth = v.shape[2] ?? 1;
      if (depth < sliceRange[1]) problems.push(`${v.path}: ${depth} planes along the third axis; the slice range [${sliceRange[0]}, ${sliceRange[1]}) needs ${sliceRange[1]}`);
    }
    subjects.push({ id: s.id, site: s.site, volumes, missing: contrasts.filter((c) => !s.files[c]) });
  }
  return { root, layout: index.layout, phantom: index.manifest, sliceRange, subjects, ignored: index.ignored, problems };
}

async function describe(fullPath: string, path: string, contrast: Contrast, headersOnly: boolean): Promise<{ info: VolumeInfo; problems: string[] }> {
  const volume = await readNiftiFile(fullPath, headersOnly ? { zRange: [0, 1] } : {});
  const info: VolumeInfo = { contrast, path, shape: volume.shape, spacing: volume.spacing, datatype: headerDatatype(volume.header).name };
  if (!headersOnly) {
    let min = Infinity, max = -Infinity;
    for (const v of volume.data) {
      if (!Number.isFinite(v)) continue; // reported as a problem
      if (v < min) min = v;
      if (v > max) max = v;
    }
    info.min = min;
    info.max = max;
  }
  return { info, problems: volumeProblems(path, volume.shape, headersOnly ? null : volume.data) };
}
