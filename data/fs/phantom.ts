/**
 * Writes the phantom as a dataset folder (Node): real NIfTI files in the IXI
 * or BraTS2021 layout plus a manifest, so training on it goes through the
 * same loader as real data. Rendering runs on this thread while Node's zlib
 * compresses the previous subject's volumes on its own threads.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import type { Layout } from '../layouts.js';
import { phantomCohort, phantomHeader, renderPlanes, type PhantomOptions } from '../phantom/cohort.js';
import { phantomFiles, phantomManifest, phantomManifestName } from '../phantom/files.js';
import { writeNiftiFile } from './nifti.js';

export interface WritePhantomOptions extends PhantomOptions {
  layout?: Layout;
  /** Write into a folder that already has files (same-named files are replaced). */
  force?: boolean;
  /** Called after each subject's files are written. */
  onSubject?: (done: number, total: number, id: string) => void;
}

export interface WrittenPhantom {
  root: string;
  layout: Layout;
  subjects: number;
  files: string[];
  bytes: number;
  seconds: number;
  options: Required<PhantomOptions>;
  sliceRange: [number, number];
  sites: { name: string; subjects: number }[];
}

export async function writePhantom(root: string, options: WritePhantomOptions = {}): Promise<WrittenPhantom> {
  const started = performance.now();
  const layout = options.layout ?? 'ixi';
  const existing = await readdir(root).catch(() => [] as string[]);
  if (existing.length > 0 && !options.force) throw new DataError(root, `is not empty (${existing.length} entries); choose a new folder or pass --force`);
  await mkdir(root, { recursive: true });
  const cohort = phantomCohort({ ...options, lesions: options.lesions ?? layout === 'brats' });
  const files = phantomFiles(cohort, layout);
  const header = (descrip: string) => phantomHeader(cohort, descrip);
  const size = cohort.grid.size;
  let bytes = 0;
  let pending: Promise<void> = Promise.resolve();
  for (const subject of cohort.subjects) {
    const own = files.filter((f) => f.subject === subject);
    const volumes = renderPlanes(cohort, subject, own.map((f) => f.contrast), [0, size]);
    await pending; // at most one subject's volumes waiting on compression
    pending = Promise.all(
      own.map(async (f, k) => {
        bytes += await writeNiftiFile(join(root, f.path), header(`fedmed phantom ${f.contrast} ${subject.site.name}`), volumes[k]!, { datatype: 'int16' });
      }),
    ).then(() => options.onSubject?.(subject.index + 1, cohort.subjects.length, own[0]!.id));
  }
  await pending;
  const manifest = phantomManifest(cohort, layout);
  await writeFile(join(root, phantomManifestName), JSON.stringify(manifest, null, 2) + '\n');
  return {
    root,
    layout,
    subjects: cohort.subjects.length,
    files: files.map((f) => f.path),
    bytes,
    seconds: (performance.now() - started) / 1000,
    options: cohort.options,
    sliceRange: manifest.sliceRange,
    sites: cohort.sites.map((s) => ({ name: s.name, subjects: cohort.subjects.filter((x) => x.site === s).length })),
  };
}
