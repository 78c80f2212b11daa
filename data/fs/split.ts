/**
 * A run's data and its train/test split by subject, made the same way by
 * `fedmed train` and by `fedmed eval`, so that eval on a checkpoint scores
 * exactly the subjects the run held out: the same slices (phantom settings
 * or folder, contrasts, size, the default slice range) and the same seeded
 * split.
 */
import { buildItems, contrasts, layoutContrasts, splitSubjects, type Contrast, type Item, type SliceDataset, type Subject } from '../index.js';
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
}

export interface DataSplit {
  dataset: SliceDataset;
  train: Subject[];
  test: Subject[];
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
  return { dataset, train, test };
}

/** Every slice of `subjects` once, paired (both contrasts of one subject), in the order evaluation uses. */
export function evaluationItems(subjects: readonly Subject[], seed: number): Item[] {
  return buildItems(subjects, { pairedRatio: 1, seed, name: 'test set' });
}

/** "the built-in phantom (24 subjects)" or "DIR (ixi, 580 subjects)". */
export function describeData(spec: Pick<DataSpec, 'data'>, dataset: SliceDataset): string {
  return dataset.source === 'phantom' && spec.data === 'phantom'
    ? `the built-in phantom (${dataset.subjects.length} subjects)`
    : `${spec.data} (${dataset.source}, ${dataset.subjects.length} subjects)`;
}
