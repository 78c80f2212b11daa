/**
 * loadDataset: the one call that gives the trainer its slices, from a
 * dataset folder (IXI or BraTS2021 layout, NIfTI read with only the planes
 * needed) or, with no folder, from the built-in phantom in memory.
 */
import { join } from 'node:path';
import type { Contrast } from '../contrasts.js';
import { defaultSize, defaultSliceRange, phantomDataset, skippedLine, subjectFromVolumes, type SkippedSubject, type SliceDataset, type SliceOptions, type Subject } from '../dataset.js';
import { subjectProblems } from '../checks.js';
import { DataError } from '../errors.js';
import { ignoredWords, missingContrasts, type Layout, type SubjectFiles } from '../layouts.js';
import type { PhantomOptions } from '../phantom/cohort.js';
import type { NiftiVolume } from '../nifti/volume.js';
import { discoverDataset } from './discover.js';
import { readNiftiFile } from './nifti.js';

export interface LoadOptions extends SliceOptions {
  /** A dataset folder; without one, the phantom (see `phantom`). */
  root?: string;
  layout?: Layout | 'auto';
  /** The phantom's settings when there is no root. */
  phantom?: PhantomOptions;
  /**
   * Contrasts read too where a subject has them (Hyper-GAN's others): its
   * subjects may then hold different sets, each with all of `contrasts`.
   * The phantom renders them for every subject.
   */
  optionalContrasts?: readonly Contrast[];
  /**
   * Leave out subjects whose files cannot be read or have problems
   * (data/checks.ts: non-finite voxels or constant planes in the slice band,
   * not 3-D, contrasts of different shape or voxel grid; the folder's: two
   * files of a contrast, two sites), listing them in `skipped`; without it
   * such a subject is an error, so a damaged file never shrinks a dataset
   * unnoticed.
   */
  skipBadSubjects?: boolean;
  /** Called after each subject is read. */
  onSubject?: (done: number, total: number, id: string) => void;
}

/**
 * Slices of every subject that has all `contrasts` (and of the optional
 * ones it has; `contrasts` of the result lists every contrast some subject holds). Subjects lacking a
 * contrast are left out and listed in `skipped`, one line each; so are
 * subjects with a file that cannot be read or has problems, with
 * `skipBadSubjects`, and without it they are an error.
 * BraTS2021's separate validation folder is a second call with its root.
 */
export async function loadDataset(options: LoadOptions): Promise<SliceDataset> {
  const optional = (options.optionalContrasts ?? []).filter((c) => !options.contrasts.includes(c));
  if (options.root === undefined) return phantomDataset(options.phantom ?? {}, { ...options, contrasts: [...options.contrasts, ...optional] });
  const root = options.root;
  const index = await discoverDataset(root, options.layout ?? 'auto');
  const contrasts = [...options.contrasts];
  const size = options.size ?? defaultSize;
  const sliceRange = options.sliceRange ?? index.manifest?.sliceRange ?? defaultSliceRange;
  const lacking: SkippedSubject[] = missingContrasts(index, contrasts).map((m) => ({ id: m.id, reason: `no ${m.missing.join(', ')}` }));
  const bad: SkippedSubject[] = [];
  const complete = index.subjects.filter((s) => contrasts.every((c) => s.files[c]));
  if (complete.length === 0) {
    throw new DataError(root, `no subject has all of ${contrasts.join(', ')} (${index.subjects.length} subjects found in the ${index.layout} layout)${index.subjects.length ? '' : ignoredWords(index.ignored)}`);
  }
  const subjects: Subject[] = [];
  let done = 0;
  for (const s of complete) {
    // Which of two files is meant is unknown: the folder's problems refuse the subject before any file is read.
    const read = s.problems.length ? s.problems.join('; ') : await readSubject(root, s, [...contrasts, ...optional.filter((c) => s.files[c])], { size, sliceRange });
    if (typeof read !== 'string') subjects.push(read);
    else if (options.skipBadSubjects) bad.push({ id: s.id, reason: read });
    else throw new DataError(root, `subject ${s.id}: ${read}; --skip-bad-subjects leaves such subjects out, listing them`);
    options.onSubject?.(++done, complete.length, s.id);
  }
  if (subjects.length === 0) {
    const others = lacking.length ? `, and ${lacking.length} more lack${lacking.length === 1 ? 's' : ''} a contrast` : '';
    throw new DataError(root, `none of the ${complete.length} subject${complete.length === 1 ? '' : 's'} with ${contrasts.join(', ')} could be used${others}; the first: ${skippedLine(bad[0]!)}`);
  }
  const source = index.manifest ? 'phantom' : index.layout;
  const held = [...contrasts, ...optional.filter((c) => subjects.some((s) => s.slices[c]))];
  return { source, contrasts: held, size, sliceRange, subjects, skipped: [...lacking, ...bad] };
}

/** The slices of subject `s`'s `own` contrasts, or its problem in one line. */
async function readSubject(root: string, s: SubjectFiles, own: Contrast[], slicing: { size: number; sliceRange: [number, number] }): Promise<Subject | string> {
  try {
    const volumes: Partial<Record<Contrast, NiftiVolume>> = {};
    await Promise.all(own.map(async (c) => (volumes[c] = await readNiftiFile(join(root, s.files[c]!), { zRange: slicing.sliceRange }))));
    const problems = subjectProblems(s.id, own.map((c) => ({ contrast: c, path: join(root, s.files[c]!), shape: volumes[c]!.shape, affine: volumes[c]!.affine, band: volumes[c]! })));
    if (problems.length) return problems.join('; ');
    return { ...subjectFromVolumes(s.id, s.site, volumes, { contrasts: own, ...slicing }), files: Object.fromEntries(own.map((c) => [c, join(root, s.files[c]!)])) };
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    return e.message;
  }
}
