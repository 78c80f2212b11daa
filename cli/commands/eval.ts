/**
 * fedmed eval: a checkpoint's generators scored on the held-out test
 * subjects of its run (the same seeded split as training) or on every
 * subject of a dataset (--all), both directions, with the untranslated input
 * as the baseline to beat.
 */
import path from 'node:path';
import type { SliceDataset, Subject } from '../../data/index.js';
import { formatScore, type DirectionMetrics } from '../../eval/records.js';
import { UsageError } from '../args.js';
import type { CheckpointMetadata } from '../../fed/checkpoint.js';
import type { Command } from '../command.js';
import type { DataSpec } from '../../data/fs/index.js';
import { trainsOnEveryContrast } from '../../models/gan_model.js';
import { backendFlag, backendLine } from '../backend-flags.js';
import { textTable } from '../text-table.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: "score a checkpoint's translations (MAE, PSNR, SSIM) on held-out or all subjects",
  usage: [
    'usage: fedmed eval --checkpoint RUN|FILE [--data DIR|phantom] [--all] [--backend B] [--json]',
    '',
    'Rebuilds the model from a run folder (its latest checkpoint) or a generators.safetensors',
    "file, and scores both directions on the run's held-out test subjects: the split is remade",
    "from the seed and test fraction the checkpoint records, so --data must be the run's data",
    "(the default). When the data no longer gives the test subjects the run recorded (a subject",
    'added or gone moves others between train and test), a note says so and the recorded test',
    'subjects still there are scored. --all scores every subject of --data instead. Each slice',
    'is scored on [0, 1]; the untranslated input, scored the same way, is the baseline to beat.',
  ].join('\n'),
  flags: {
    checkpoint: { type: 'string', help: 'a run folder, a round folder or a generators.safetensors file', placeholder: 'RUN|FILE' },
    data: { type: 'string', help: "'phantom' or an IXI / BraTS2021 folder (default: the run's own data)", placeholder: 'DIR|phantom' },
    all: { type: 'boolean', help: 'score every subject of --data, not only the held-out test subjects' },
    'skip-bad-subjects': { type: 'boolean', help: 'leave out subjects with an unreadable file or a problem, listing them on stderr, rather than refuse the data (implied for a run trained with it, whose checkpoint records so)' },
    backend: backendFlag,
    json: { type: 'boolean', help: 'print the results as JSON' },
  },
  async run(flags) {
    if (typeof flags.checkpoint !== 'string') throw new UsageError('fedmed eval needs --checkpoint RUN|FILE; see fedmed eval --help');
    const { readCheckpoint } = await import('../checkpoint-model.js');
    const { buildModel, describeCheckpoint } = await import('../../fed/checkpoint.js');
    const { describeData, evaluationItems, heldOutSubjects, loadSpecDataset, loadSplit } = await import('../../data/fs/index.js');
    const { skippedLine } = await import('../../data/index.js');
    const { evaluate } = await import('../../eval/evaluate.js');
    const { setBackend } = await import('../../engine/index.js');
    const checkpoint = await readCheckpoint(flags.checkpoint);
    const all = (flags.all as boolean | undefined) ?? false;
    const recorded = dataSpec(checkpoint.metadata, checkpoint.file, { data: flags.data as string | undefined, all });
    const spec = { ...recorded, skipBadSubjects: recorded.skipBadSubjects || flags['skip-bad-subjects'] === true };
    const runsData = checkpoint.metadata.data === undefined || sameData(spec.data, checkpoint.metadata.data);
    let dataset: SliceDataset;
    let subjects: Subject[];
    let splitNote: string | null = null;
    if (all) {
      dataset = await loadSpecDataset(spec);
      subjects = dataset.subjects;
    } else {
      const split = await loadSplit(spec);
      dataset = split.dataset;
      // Other data than the run's has no held-out set of the run's to check (the note below says so).
      if (runsData) ({ subjects, note: splitNote } = heldOutSubjects(split, spec));
      else subjects = split.test;
    }
    for (const s of dataset.skipped) console.error(`skipped ${skippedLine(s)}`);
    if (splitNote) console.error(`note: ${splitNote}`);
    const trainedWithout = checkpoint.metadata.skippedSubjects ?? [];
    const leftOut = trainingLeftOut(trainedWithout, dataset.skipped.map((s) => s.id), all);
    if (leftOut) console.error(`note: ${leftOut}`);
    const items = evaluationItems(subjects, spec.seed);
    const backend = await setBackend(flags.backend as 'auto');
    const model = buildModel(checkpoint);
    try {
      const result = await evaluate(model, items, { source: spec.source, target: spec.target, batchSize: 4, modelName: checkpoint.file });
      const scope = all ? 'all subjects' : `held-out test subjects (seed ${spec.seed}, test fraction ${spec.testFraction})`;
      const data = describeData(spec, dataset);
      if (flags.json) {
        const json = {
          checkpoint: checkpoint.file,
          metadata: checkpoint.metadata,
          backend: backend.name,
          data: spec.data,
          subjects: all ? 'all' : 'test',
          ...(all ? {} : { split: { seed: spec.seed, testFraction: spec.testFraction } }),
          subjectIds: subjects.map((s) => s.id),
          skipped: dataset.skipped.map((s) => s.id),
          trainedWithout,
          slices: items.length,
          metrics: result.metrics,
          baseline: result.baseline,
        };
        // JSON has no infinity: a PSNR of +Infinity (an exact slice) prints as null.
        console.log(JSON.stringify(json, null, 2));
        return;
      }
      console.log(`checkpoint: ${checkpoint.file} (${describeCheckpoint(checkpoint.metadata)})`);
      console.log(backendLine(backend, flags.backend as string));
      console.log(`data: ${data}, ${scope}: ${subjects.length} subject${subjects.length === 1 ? '' : 's'}, ${items.length} slices of ${spec.size}x${spec.size}`);
      if (!runsData && !all) {
        console.log(`note: the run trained on ${checkpoint.metadata.data}; the split of other data is not its held-out set`);
      }
      console.log('');
      console.log(table(result.metrics, result.baseline));
    } finally {
      model.dispose();
    }
  },
};

/**
 * The data and split to score, from the checkpoint's metadata and eval's
 * --data and --all; without `flags` (fedmed latent, which has neither), the
 * run's own data and split, and an error gives no advice about flags the
 * command lacks. A run trained with subjects left out is read on its own
 * split: the same subjects left out.
 */
export function dataSpec(m: CheckpointMetadata, file: string, flags?: { data: string | undefined; all: boolean }): DataSpec {
  // Missing metadata is the checkpoint's problem (exit 1, as a missing size), not a usage error.
  const data = flags?.data ?? m.data;
  const all = flags?.all ?? false;
  const advice = (hint: string) => (flags ? hint : '');
  if (data === undefined) throw new Error(`${file} does not record its run's data${advice('; pass --data DIR|phantom')}`);
  const phantom = data === 'phantom';
  const lacking = (keys: (keyof CheckpointMetadata)[]) => keys.filter((k) => m[k] === undefined);
  const forPhantom = phantom ? lacking(['seed', 'phantomSubjects', 'phantomSize']) : []; // to remake its subjects
  const forSplit = all ? [] : lacking(['seed', 'testFraction']);
  const missing = [...new Set([...forPhantom, ...forSplit])];
  if (missing.length) {
    const needers = [forPhantom.length ? 'the phantom' : '', forSplit.length ? "the run's test split" : ''].filter(Boolean);
    // Only a way out that works: --all still needs the phantom's keys; a data folder with --all needs none.
    const hint = forPhantom.length ? `; pass --data DIR${all ? '' : ' --all'} to score every subject of a data folder` : '; pass --all to score every subject';
    throw new Error(`${file}: its metadata has no ${missing.join(' or ')}, which ${needers.join(' and ')} need${needers.length > 1 ? '' : 's'}${advice(hint)}`);
  }
  return {
    data,
    testSubjects: m.testSubjects,
    source: m.source,
    target: m.target,
    size: m.size,
    seed: m.seed ?? 3,
    testFraction: m.testFraction ?? 0.2,
    phantomSubjects: m.phantomSubjects ?? 0,
    phantomSize: m.phantomSize ?? 0,
    everyContrast: trainsOnEveryContrast(m.model), // the subjects the run had, so the same split
    skipBadSubjects: m.skipBadSubjects === true,
  };
}

/** Whether two --data values name the same data: 'phantom', or one folder however it is written (a run written before paths were resolved holds them relative to where it ran). */
function sameData(a: string, b: string): boolean {
  return a === 'phantom' || b === 'phantom' ? a === b : path.resolve(a) === path.resolve(b);
}

/**
 * What the person must know when the run left subjects out: that it did,
 * and whether this evaluation leaves out the same ones (otherwise the remade
 * split is not the run's held-out set). Null when the run left none out.
 */
function trainingLeftOut(run: readonly string[], here: readonly string[], all: boolean): string | null {
  if (run.length === 0) return null;
  const said = `the run was trained with ${run.length} subject${run.length === 1 ? '' : 's'} left out (${run.join(', ')})`;
  if (all) return `${said}; --all scores every readable subject of the data`;
  const same = run.length === here.length && run.every((id) => here.includes(id));
  return same ? `${said}, left out here too` : `${said}, but here ${here.length ? here.join(', ') : 'none'}: the split is not the run's held-out set`;
}

/** Rows per direction: the model, then the untranslated input. */
function table(metrics: readonly DirectionMetrics[], baseline: readonly DirectionMetrics[]): string {
  const header = ['', 'MAE', 'PSNR dB', 'SSIM', 'SSIM-gauss', 'SSIM-global'];
  const row = (label: string, m: DirectionMetrics) => [label, formatScore(m.mae, 4), formatScore(m.psnr, 2), ...[m.ssim, m.ssimGaussian, m.ssimGlobal].map((v) => formatScore(v, 4))];
  return textTable(header, metrics.flatMap((m, i) => [row(m.direction, m), row('  input', baseline[i]!)])).join('\n');
}
