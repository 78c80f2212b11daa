/**
 * Where the phantom's volumes go in a dataset folder, in the IXI or BraTS2021
 * layout, and the manifest written beside them so a reader knows how they
 * were made.
 */
import type { Contrast } from '../contrasts.js';
import { bratsPath, ixiFileName, layoutContrasts, type Layout } from '../layouts.js';
import { phantomSubjectId } from '../dataset.js';
import { phantomCohort, phantomSliceRange, type PhantomCohort, type PhantomOptions } from './cohort.js';
import type { PhantomSubject } from './render.js';

/** The manifest's file name, at the dataset root. */
export const phantomManifestName = 'fedmed-phantom.json';

export interface PhantomManifest {
  generator: 'fedmed phantom';
  layout: Layout;
  options: Required<PhantomOptions>;
  /** The default slice band for this volume depth (see phantomSliceRange). */
  sliceRange: [number, number];
  subjects: { id: string; site: string }[];
}

export interface PhantomFile {
  /** Relative to the dataset root, '/'-separated. */
  path: string;
  subject: PhantomSubject;
  id: string;
  contrast: Contrast;
}

/** Every file of the cohort in `layout`, subject by subject (IXI: T1, T2, PD; BraTS: t1, t1ce, t2, flair). */
export function phantomFiles(cohort: PhantomCohort, layout: Layout): PhantomFile[] {
  return cohort.subjects.flatMap((subject) => {
    const id = phantomSubjectId(subject.index, layout);
    return layoutContrasts(layout).map((contrast) => ({
      path: layout === 'ixi' ? `${contrast}/${ixiFileName(id, subject.site.name, String(1000 + subject.index + 1), contrast)}` : bratsPath(id, contrast),
      subject,
      id,
      contrast,
    }));
  });
}

export function phantomManifest(cohort: PhantomCohort, layout: Layout): PhantomManifest {
  return {
    generator: 'fedmed phantom',
    layout,
    options: cohort.options,
    sliceRange: phantomSliceRange(cohort.grid.size),
    subjects: cohort.subjects.map((s) => ({ id: phantomSubjectId(s.index, layout), site: s.site.name })),
  };
}

/** The volumes (relative paths) of the phantom a manifest describes: the generator is deterministic, so the same options name the same files. */
export function manifestFiles(manifest: PhantomManifest): string[] {
  return phantomFiles(phantomCohort(manifest.options), manifest.layout).map((f) => f.path);
}
