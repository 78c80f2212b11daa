/**
 * A run's data and its train/test split by subject, made the same way by
 * `fedmed train` and by `fedmed eval`, so that eval on a checkpoint scores
 * exactly the subjects the run held out: the same slices (phantom settings
 * or folder, contrasts, size, the default slice range) and the same seeded
 * split. The split shuffles the subjects' positions, so a subject added to
 * the folder or gone from it moves others between train and test: a run
 * records its test subjects, and the split drawn again is checked against
 * them.
 */
import { contrasts, layoutContrasts, splitSubjects, type Contrast, type SliceDataset, type Subject } from '../index.js';
import { DataError } from '../errors.js';
import { loadDataset } from './load.js';

/** What decides a run's slices and split (a TrainConfig is one). */
export interface DataSpec {
  /** 'phantom' or a dataset folder. */
  data: string;
  source: Contrast;
  target: Contrast;
  /** Slice side in pixels. */
  size: number;
  /** Seeds the split (and the phantom). */
  seed: number;
  testFraction: number;
  phantomSubjects: number;
  phantomSize: number;
  /**
   * Load every contrast the data holds, not only source and target (Hyper-GAN
   * trains on all of them): in a folder, each subject's own files beyond the
   * pair (subjects may hold different sets); on the phantom, IXI's T1, T2
   * and PD besides the pair.
   */
  everyContrast?: boolean;
  /** Leave out subjects whose files cannot be read or have problems, rather than refuse the data (loadDataset's skipBadSubjects). */
  skipBadSubjects?: boolean;
  /** The test subjects the run drew when it started; absent for runs written before they were recorded. */
  testSubjects?: readonly string[];
}

export interface DataSplit {
  dataset: SliceDataset;
  train: Subject[];
  test: Subject[];
  /** How `test` differs from spec.testSubjects; null when it matches or none are recorded. */
  drift: SplitDrift | null;
}

/** Subjects that moved between a run's recorded test set and the one drawn now. */
export interface SplitDrift {
  /** Recorded test subjects not drawn as test now (now training subjects, or no longer in the data). */
  lost: string[];
  /** Subjects drawn as test now that the run trained on (or did not have). */
  gained: string[];
}

/** The slices of `spec.data`'s subjects with both contrasts (and their others, see everyContrast). */
export function loadSpecDataset(spec: DataSpec): Promise<SliceDataset> {
  const root = spec.data === 'phantom' ? undefined : spec.data;
  const others: readonly Contrast[] = root === undefined ? layoutContrasts('ixi') : contrasts;
  return loadDataset({
    root,
    phantom: { subjects: spec.phantomSubjects, size: spec.phantomSize, seed: spec.seed },
    contrasts: [spec.source, spec.target],
    optionalContrasts: spec.everyContrast ? others : [],
    size: spec.size,
    skipBadSubjects: spec.skipBadSubjects,
  });
}

/** The dataset and its seeded split into training and held-out test subjects. */
export async function loadSplit(spec: DataSpec): Promise<DataSplit> {
  const dataset = await loadSpecDataset(spec);
  const { train, test } = splitSubjects(dataset.subjects, { testFraction: spec.testFraction, seed: spec.seed });
  return { dataset, train, test, drift: splitDrift(spec.testSubjects, test) };
}

function splitDrift(recorded: readonly string[] | undefined, test: readonly Subject[]): SplitDrift | null {
  if (!recorded) return null;
  const drawn = test.map((s) => s.id);
  const lost = recorded.filter((id) => !drawn.includes(id));
  const gained = drawn.filter((id) => !recorded.includes(id));
  return lost.length || gained.length ? { lost, gained } : null;
}

/** "IXI004, IXI005 are held out by the run but not now; IXI006 is held out now but not by the run": the subjects that moved. */
export function driftWords(drift: SplitDrift): string {
  const list = (ids: string[]) => `${ids.join(', ')} ${ids.length === 1 ? 'is' : 'are'}`;
  const lost = drift.lost.length ? `${list(drift.lost)} held out by the run but not now` : '';
  const gained = drift.gained.length ? `${list(drift.gained)} held out now but not by the run` : '';
  return [lost, gained].filter(Boolean).join('; ');
}

/** The line for a run that recorded no test subjects: its split is remade, and nothing can check it. */
export function unrecordedSplitNote(spec: Pick<DataSpec, 'seed' | 'testFraction'>): string {
  return `the run predates recorded test subjects: its split is remade from seed ${spec.seed} and test fraction ${spec.testFraction}, the run's held-out set only if the data has not changed since`;
}

/**
 * The run's held-out subjects in the data now, and a line to show: the split
 * drawn when it matches the record (no line) or nothing is recorded (a line
 * saying it cannot be checked); otherwise the recorded test subjects still in
 * the data, with a line naming what moved, and an error when none is left.
 */
export function heldOutSubjects(split: DataSplit, spec: DataSpec): { subjects: Subject[]; note: string | null } {
  if (!spec.testSubjects) return { subjects: split.test, note: unrecordedSplitNote(spec) };
  if (!split.drift) return { subjects: split.test, note: null };
  const recorded = spec.testSubjects;
  const subjects = split.dataset.subjects.filter((s) => recorded.includes(s.id));
  if (subjects.length === 0) throw new DataError(spec.data, `holds none of the run's ${recorded.length} test subject${recorded.length === 1 ? '' : 's'} (${recorded.join(', ')}) now; nothing held out is left to score`);
  return { subjects, note: `${spec.data} no longer gives the run's split (${driftWords(split.drift)}); scoring the ${subjects.length} of its ${recorded.length} recorded test subjects still there` };
}

/** "the built-in phantom (24 subjects)" or "DIR (ixi, 580 subjects)". */
export function describeData(spec: Pick<DataSpec, 'data'>, dataset: SliceDataset): string {
  return dataset.source === 'phantom' && spec.data === 'phantom'
    ? `the built-in phantom (${dataset.subjects.length} subjects)`
    : `${spec.data} (${dataset.source}, ${dataset.subjects.length} subjects)`;
}
