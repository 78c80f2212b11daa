/** fedmed latent: the paper's latent-space figure (Fig. 5) of a CycleGAN run, as an SVG scatter plot. */
import path from 'node:path';
import { UsageError } from '../args.js';
import { backendFlag, backendLine } from '../backend-flags.js';
import type { Command } from '../command.js';

export const latentCommand: Command = {
  name: 'latent',
  summary: "the latent-space figure (the paper's Fig. 5) of a cyclegan run, as SVG",
  usage: [
    'usage: fedmed latent --checkpoint RUN [--round N|latest] [--samples 400] [--out FILE.svg] [--force] [--backend B]',
    '',
    "The output of the U-Net generator's fifth down-sampling block is the latent space. Each",
    'sample is reduced to a point as the paper says: the last dimension split into two halves,',
    "x and y, everything else averaged. At 32 px that block's output is 1x1, which its instance",
    'norm sets to 0 whatever the image, so there the fourth block (2x2) is read; the title says',
    "which. Real A and fake A (G_ba of real B) go through G_ab's down blocks, real B and fake B",
    "(G_ab of real A) through G_ba's.",
    "The samples are drawn at random (the run's seed) from the run's held-out test slices,",
    'topped up from its training slices when those are too few, on the split the run used.',
    'Only cyclegan runs (U-Net generators) have this latent space; other models are refused.',
    'A run folder keeps the checkpoint of its latest round, and those of the rounds its',
    'fedmed train --keep-rounds named: --round N reads one of those. A run trained with',
    '--skip-bad-subjects is read with the same subjects left out, listed on stderr.',
  ].join('\n'),
  flags: {
    checkpoint: { type: 'string', help: 'a run folder (or a round folder or generators.safetensors file, with --round latest)', placeholder: 'RUN' },
    round: { type: 'string', help: "the round (epoch, when centralized) whose checkpoint to read: a number or 'latest'", default: 'latest', placeholder: 'N|latest' },
    samples: { type: 'int', help: 'samples per kind (real A, fake A, real B, fake B)', default: 400 },
    out: { type: 'string', help: "the SVG file to write (default RUN/latent.svg, RUN the run folder the checkpoint lies in; beside a checkpoint file outside a run)", placeholder: 'FILE.svg' },
    force: { type: 'boolean', help: 'replace --out if it exists' },
    backend: backendFlag,
  },
  async run(flags) {
    if (typeof flags.checkpoint !== 'string') throw new UsageError('fedmed latent needs --checkpoint RUN; see fedmed latent --help');
    const round = parseRound(flags.round as string);
    const samples = flags.samples as number;
    if (!(samples >= 1)) throw new UsageError(`--samples must be at least 1, got ${samples}`);
    if (typeof flags.out === 'string' && !flags.out.endsWith('.svg')) throw new UsageError(`--out ${flags.out}: name it .svg`);
    const { writeFileAtomic } = await import('../../store/atomic.js');
    const { prepareOutFile } = await import('../out-file.js');
    const { setBackend } = await import('../../engine/index.js');
    const { describeCheckpoint } = await import('../../fed/checkpoint.js');
    const { latentFigure, readRoundCheckpoint } = await import('../latent-figure.js');
    const { runOfCheckpoint } = await import('../train/checkpoint.js');
    const { skippedLine } = await import('../../data/index.js');
    const checkpoint = await readRoundCheckpoint(flags.checkpoint, round);
    // The run the checkpoint lies in (whichever of its paths was given) names the figure and holds it; a file outside a run has it beside it.
    const run = runOfCheckpoint(checkpoint.file) ?? path.dirname(checkpoint.file);
    const out = (flags.out as string | undefined) ?? path.join(run, 'latent.svg');
    await prepareOutFile(out, flags.force === true);
    const backend = await setBackend(flags.backend as 'auto');
    console.log(backendLine(backend, flags.backend as string));
    console.log(`checkpoint: ${checkpoint.file} (${describeCheckpoint(checkpoint.metadata)})`);
    const figure = await latentFigure(checkpoint, { samples, label: path.basename(path.resolve(run)) });
    await writeFileAtomic(out, figure.svg);
    for (const s of figure.skipped) console.error(`skipped ${skippedLine(s)}`);
    if (figure.splitNote) console.error(`note: ${figure.splitNote}`);
    const where = figure.fromTrain ? `${figure.fromTest} test and ${figure.fromTrain} training slices` : `${figure.fromTest} test slices`;
    console.log(`wrote ${out}: ${figure.fromTest + figure.fromTrain} samples per kind (${where})${figure.fromTest + figure.fromTrain < samples ? `, fewer than the ${samples} asked: the run's data has no more` : ''}`);
  },
};

function parseRound(text: string): number | 'latest' {
  if (text === 'latest') return text;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`--round is a round number (1 or more) or 'latest', got '${text}'`);
  return n;
}
