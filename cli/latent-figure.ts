/**
 * The latent-space figure (the paper's Fig. 5, eval/latent.ts) of a run's
 * checkpoint, for `fedmed latent` and the rounds experiment: the checkpoint
 * read and verified as eval and translate read it, the run's own data and
 * seeded split remade as eval remakes it (the subjects the run left out left
 * out again), samples drawn from its test
 * slices (then its training slices), the SVG as a string.
 */
import { stat } from 'node:fs/promises';
import { evaluationItems, heldOutSubjects, loadSplit } from '../data/fs/index.js';
import type { SkippedSubject } from '../data/index.js';
import { latentBlock, latentChart, latentPoints, latentSampleItems, unetGenerators } from '../eval/latent.js';
import { buildModel, type Checkpoint } from '../fed/checkpoint.js';
import { readCheckpoint } from './checkpoint-model.js';
import { dataSpec } from './commands/eval.js';
import { keptRounds, latestCheckpoint, roundFolder } from './train/checkpoint.js';

export interface LatentFigureOptions {
  /** Samples per kind (the paper's 400). */
  samples: number;
  /** Names the run in the title. */
  label: string;
}

export interface LatentFigure {
  svg: string;
  /** Where the samples came from: test slices first, training slices only when those are too few. */
  fromTest: number;
  fromTrain: number;
  /** Why the held-out set may not be the run's (eval's note: data changed, or no ids recorded), or null. */
  splitNote: string | null;
  /** The subjects left out of the data, as the run left them out (--skip-bad-subjects), each as skippedLine words. */
  skipped: SkippedSubject[];
}

/** Reads and verifies the checkpoint of `round` (needs no backend); one line naming the run when that round's checkpoint is not there. */
export async function readRoundCheckpoint(run: string, round: number | 'latest'): Promise<Checkpoint> {
  if (round === 'latest') return readCheckpoint(run);
  const folder = roundFolder(run, round);
  if (await stat(folder).then((s) => s.isDirectory(), () => false)) return readCheckpoint(folder);
  const latest = await latestCheckpoint(run).catch(() => null);
  if (!latest) throw new Error(`${run}: no checkpoint of round ${round} (not a run folder with checkpoints)`);
  const kept = await keptRounds(run);
  throw new Error(`${run}: no checkpoint of round ${round}; the run keeps round${kept.length > 1 ? 's' : ''} ${kept.join(', ')} (train --keep-rounds keeps more)`);
}

/** Builds the figure of a checkpoint read by readRoundCheckpoint; the engine's backend must be set. */
export async function latentFigure(checkpoint: Checkpoint, options: LatentFigureOptions): Promise<LatentFigure> {
  const m = checkpoint.metadata;
  const model = buildModel(checkpoint);
  try {
    unetGenerators(model); // refuse a model without a U-Net before loading any data
    const spec = dataSpec(m, checkpoint.file);
    const split = await loadSplit(spec);
    // The run's recorded test subjects, as eval takes them; the rest fill up with training slices (split.train when nothing moved).
    const { subjects: test, note: splitNote } = heldOutSubjects(split, spec);
    const train = [...split.train, ...split.test].filter((s) => !test.includes(s));
    const pick = latentSampleItems(evaluationItems(test, spec.seed), evaluationItems(train, spec.seed), options.samples, spec.seed);
    const points = await latentPoints(model, pick.items, { source: m.source, target: m.target });
    // Short enough for the chart's width; the legend gives the counts, fedmed latent prints where the slices came from.
    const title = `${options.label}, round ${m.round ?? '?'}: U-Net down block ${latentBlock(m.size)}`;
    return { svg: latentChart(points, { title, source: m.source, target: m.target }), fromTest: pick.fromTest, fromTrain: pick.fromTrain, splitNote, skipped: split.dataset.skipped };
  } finally {
    model.dispose();
  }
}
