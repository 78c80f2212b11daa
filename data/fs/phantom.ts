/**
 * Writes the phantom as a dataset folder (Node): real NIfTI files in the IXI
 * or BraTS2021 layout plus a manifest, so training on it goes through the
 * same loader as real data. Subjects are shared among worker threads; each
 * renders, compresses (Node's zlib) and writes its own. Every subject is
 * drawn from the seed alone, so the files do not depend on the workers.
 * Every file is written atomically: a full disk leaves whole files only.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileSystemError, makeFolder, writeFileAtomic } from '../../store/atomic.js';
import { phantomSubjectId } from '../dataset.js';
import type { Layout } from '../layouts.js';
import { phantomCohort, phantomHeader, renderPlanes, type PhantomOptions } from '../phantom/cohort.js';
import { phantomFiles, phantomManifest, phantomManifestName } from '../phantom/files.js';
import { writeNiftiFile } from './nifti.js';
import { clearPhantomFolder } from './phantom-folder.js';

export interface WritePhantomOptions extends PhantomOptions {
  layout?: Layout;
  /** Replace the phantom a folder holds: its files are removed first (data/fs/phantom-folder.ts). */
  force?: boolean;
  /** Worker threads (default: the processors available, at most 8; 1 renders on this thread). */
  workers?: number;
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
  workers: number;
  options: Required<PhantomOptions>;
  sliceRange: [number, number];
  sites: { name: string; subjects: number }[];
}

/** What a worker needs to write a subject: plain data, so it crosses to a worker thread. */
export interface SubjectJob {
  root: string;
  layout: Layout;
  options: Required<PhantomOptions>;
}

/** Renders one subject's volumes and writes them; returns the bytes written. */
export async function writeSubject(job: SubjectJob, index: number): Promise<number> {
  const cohort = phantomCohort(job.options);
  const subject = cohort.subjects[index]!;
  const files = phantomFiles(cohort, job.layout).filter((f) => f.subject === subject);
  const volumes = renderPlanes(cohort, subject, files.map((f) => f.contrast), [0, cohort.grid.size]);
  const sizes = await Promise.all(
    files.map((f, k) => {
      const header = phantomHeader(cohort, `fedmed phantom ${f.contrast} ${subject.site.name}`);
      // The background noise barely compresses: level 1 gives files 3% larger than level 6, a third sooner.
      return writeNiftiFile(join(job.root, f.path), header, volumes[k]!, { datatype: 'int16', level: 1 });
    }),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

export async function writePhantom(root: string, options: WritePhantomOptions = {}): Promise<WrittenPhantom> {
  const started = performance.now();
  const layout = options.layout ?? 'ixi';
  await clearPhantomFolder(root, options.force ?? false);
  await makeFolder(root);
  const cohort = phantomCohort({ ...options, lesions: options.lesions ?? layout === 'brats' });
  // The marker goes first: a killed run leaves files that --force can prove a phantom's.
  const manifest = phantomManifest(cohort, layout);
  await writeFileAtomic(join(root, phantomManifestName), JSON.stringify(manifest, null, 2) + '\n');
  const job: SubjectJob = { root, layout, options: cohort.options };
  const total = cohort.subjects.length;
  const workers = Math.max(1, Math.min(options.workers ?? Math.min(availableParallelism(), 8), total));
  let bytes = 0;
  let done = 0;
  const finished = (index: number, written: number) => {
    bytes += written;
    options.onSubject?.(++done, total, phantomSubjectId(index, layout));
  };
  if (workers === 1) {
    for (const s of cohort.subjects) finished(s.index, await writeSubject(job, s.index));
  } else {
    const url = new URL('./phantom-worker.js', import.meta.url);
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const indices = cohort.subjects.map((s) => s.index).filter((i) => i % workers === w);
        return new Promise<void>((resolve, reject) => {
          const worker = new Worker(url, { workerData: { ...job, indices } });
          worker.on('message', (m: { index: number; bytes: number }) => finished(m.index, m.bytes));
          // A thrown error crosses as a plain Error with its fields: a full disk must still exit 74.
          worker.on('error', (e: Error & { code?: string; path?: string }) => reject(e.name === 'FileSystemError' ? new FileSystemError(e.message, e.code!, e.path!) : e));
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`phantom worker ${w} exited with code ${code}`))));
        });
      }),
    );
  }
  return {
    root,
    layout,
    subjects: total,
    files: phantomFiles(cohort, layout).map((f) => f.path),
    bytes,
    seconds: (performance.now() - started) / 1000,
    workers,
    options: cohort.options,
    sliceRange: manifest.sliceRange,
    sites: cohort.sites.map((s) => ({ name: s.name, subjects: cohort.subjects.filter((x) => x.site === s).length })),
  };
}
