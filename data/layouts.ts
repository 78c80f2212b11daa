/**
 * Dataset folder layouts, from a list of relative file paths (so a browser's
 * file picker works as well as a folder walk):
 * - IXI: IXI<id>-<site>-<n>-<T1|T2|PD>.nii.gz, one folder per contrast or flat;
 *   the site (Guys, HH, IOP) is kept per subject.
 * - BraTS2021: BraTS2021_<id>/BraTS2021_<id>_<t1|t1ce|t2|flair>.nii.gz.
 * Subjects are paired across contrasts by id; what is missing is reported.
 */
import { parseContrast, type Contrast } from './contrasts.js';

export type Layout = 'ixi' | 'brats';

export interface SubjectFiles {
  id: string;
  /** The acquiring site (IXI's hospital), or null where the layout has none. */
  site: string | null;
  /** Relative path of each contrast's volume. */
  files: Partial<Record<Contrast, string>>;
  /** One line each (without the id): two files of a contrast, files from two sites. Training refuses such a subject: which file is meant is unknown. */
  problems: string[];
}

export interface DatasetIndex {
  layout: Layout;
  /** Sorted by id. */
  subjects: SubjectFiles[];
  /** NIfTI files that are no contrast of this layout (IXI's MRA/DTI, BraTS' seg, strangers). */
  ignored: string[];
}

// The suffix in either case (.nii.gz, .NII.GZ), as readers and translate take it; the names themselves as the datasets spell them.
const ixiPattern = /^(IXI\d+)-([A-Za-z]+)-(\d+)-([A-Za-z0-9]+(?:-\d+)?)\.(?:nii|NII)(?:\.(?:gz|GZ))?$/;
const bratsPattern = /^(BraTS\d*_\d+)_([A-Za-z0-9]+)\.(?:nii|NII)(?:\.(?:gz|GZ))?$/;
const ixiContrasts: Contrast[] = ['T1', 'T2', 'PD'];
const bratsContrasts: Contrast[] = ['T1', 'T1CE', 'T2', 'FLAIR'];

/** The contrasts a layout can hold. */
export function layoutContrasts(layout: Layout): Contrast[] {
  return layout === 'ixi' ? ixiContrasts : bratsContrasts;
}

/** IXI's file name for a subject's contrast: IXI012-HH-1211-T2.nii.gz. */
export function ixiFileName(id: string, site: string, scan: string, contrast: Contrast): string {
  return `${id}-${site}-${scan}-${contrast}.nii.gz`;
}

/** BraTS2021's path for a subject's contrast: BraTS2021_00012/BraTS2021_00012_t1ce.nii.gz. */
export function bratsPath(id: string, contrast: Contrast): string {
  return `${id}/${id}_${contrast.toLowerCase()}.nii.gz`;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const isNifti = (path: string) => /\.nii(\.gz)?$/i.test(path);

/** Which layout the paths follow ('auto': the one more files match; IXI on a tie). */
export function detectLayout(paths: readonly string[]): Layout {
  let ixi = 0, brats = 0;
  for (const p of paths) {
    if (ixiPattern.test(baseName(p))) ixi++;
    else if (bratsPattern.test(baseName(p))) brats++;
  }
  return brats > ixi ? 'brats' : 'ixi';
}

/** Groups the NIfTI files among `paths` (relative, '/'-separated) into subjects. */
export function indexDataset(paths: readonly string[], layout: Layout | 'auto' = 'auto'): DatasetIndex {
  const chosen = layout === 'auto' ? detectLayout(paths) : layout;
  const known = layoutContrasts(chosen);
  const byId = new Map<string, SubjectFiles>();
  const ignored: string[] = [];
  for (const path of [...paths].sort()) {
    if (!isNifti(path)) continue;
    const match = (chosen === 'ixi' ? ixiPattern : bratsPattern).exec(baseName(path));
    const contrast = match ? parseContrast(match[chosen === 'ixi' ? 4 : 2]!) : null;
    if (!match || !contrast || !known.includes(contrast)) {
      ignored.push(path);
      continue;
    }
    const id = match[1]!;
    const site = chosen === 'ixi' ? match[2]! : null;
    let subject = byId.get(id);
    if (!subject) byId.set(id, (subject = { id, site, files: {}, problems: [] }));
    if (subject.site !== site) subject.problems.push(`files from two sites (${subject.site}, ${site})`);
    const previous = subject.files[contrast];
    if (previous) {
      subject.problems.push(`two ${contrast} files (${previous}, ${path})`);
      continue;
    }
    subject.files[contrast] = path;
  }
  const subjects = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  return { layout: chosen, subjects, ignored };
}

/**
 * Why a folder yields no subjects, for its error: the NIfTI files no layout
 * took, by name, and the names the layouts expect. Empty when none was left
 * out.
 */
export function ignoredWords(ignored: readonly string[]): string {
  if (!ignored.length) return '';
  const shown = ignored.length > 3 ? `${ignored.slice(0, 3).join(', ')} and ${ignored.length - 3} more` : ignored.join(', ');
  return ` (ignored: ${shown}; IXI names are IXI<id>-<site>-<n>-T1.nii.gz, BraTS2021 ones BraTS2021_<id>/BraTS2021_<id>_t1.nii.gz)`;
}

/** Subjects lacking any of `contrasts`, with what they lack. */
export function missingContrasts(index: DatasetIndex, contrasts: readonly Contrast[]): { id: string; missing: Contrast[] }[] {
  return index.subjects
    .map((s) => ({ id: s.id, missing: contrasts.filter((c) => !s.files[c]) }))
    .filter((s) => s.missing.length > 0);
}
