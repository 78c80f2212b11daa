/** fedmed experiment NAME: one of the paper's experiments as a grid of training runs, then its tables. */
import path from 'node:path';
import { setBackend } from '../../engine/index.js';
import { discoverDataset } from '../../data/fs/index.js';
import { experimentNames, experiments, type DataKind, type ExperimentName } from '../../experiment/grids.js';
import { experimentFiles } from '../../experiment/output.js';
import { writeLatentFigures } from '../../experiment/latent-figures.js';
import { claimExperimentFolder, refuseOtherSettings, runGrid } from '../../experiment/runner.js';
import { tableMarkdown } from '../../experiment/table.js';
import { experimentTables } from '../../experiment/tables.js';
import { writeRunFiles } from '../../store/atomic.js';
import { scaleArgs, scaleFor, scaleNames, scales, type ScaleName } from '../../experiment/scales.js';
import { UsageError } from '../args.js';
import { backendFlag, backendLine, workersFlag } from '../backend-flags.js';
import { parseWorkers, refuseWorkersOnGpu } from '../train/placement.js';
import { handleStopSignals } from '../signals.js';
import type { Command } from '../command.js';

const width = Math.max(...experimentNames.map((n) => n.length));
/** The phantom has every contrast, so its grids fill both the IXI and the BraTS tables. */
const phantomKinds: DataKind[] = ['ixi', 'brats'];

/** A scale's line in --help, with the length it gives single experiments and their cell counts, counted from the grids. */
function scaleLine(name: ScaleName): string {
  const scale = scales[name];
  const own = Object.entries(scale.lengthOf ?? {}).map(([experiment, length]) => {
    const cells = experiments[experiment as ExperimentName].cells({ scale: scaleFor(scale, experiment as ExperimentName), kinds: phantomKinds });
    return `${experiment} (${cells.length} cells) ${length.rounds} x ${length.localEpochs}`;
  });
  return own.length ? `${scale.words}; ${own.join(', ')} (cells on the phantom)` : scale.words;
}

export const experimentCommand: Command = {
  name: 'experiment',
  summary: "one of the paper's experiments: a grid of training runs and its tables beside the paper's",
  usage: [
    `usage: fedmed experiment ${experimentNames.join('|')} --scale ${scaleNames.join('|')} [--data phantom|DIR] [--out DIR]`,
    '',
    'experiments:',
    ...experimentNames.map((n) => `  ${n.padEnd(width)}  ${experiments[n].summary}`),
    '',
    'scales:',
    ...scaleNames.map((s) => `  ${s.padEnd(width)}  ${scaleLine(s)}`),
    '',
    'Each cell of the grid is an ordinary run folder, <out>/<cell>, trained as fedmed train',
    'trains it (fedmed eval, translate and train --resume work on it). Run the same command',
    'again after an interruption: finished cells are skipped, a cell stopped part way resumes',
    'from its last checkpoint. A cell that fails (in training, or a damaged checkpoint) is',
    "reported and the others still run; its tables show '-' and the command then exits 1, or",
    "2 when a cell's folder holds a run of other settings or files fedmed did not write. When",
    'no cell holds a run of these settings and some hold runs of others (another --scale or',
    '--data), it stops before any cell with exit 2. The phantom has every contrast, so on it',
    'the models and discriminators experiments fill both the IXI and the BraTS tables; a data',
    'folder fills those of its own layout. At the end <out> holds tables.md, one CSV per',
    "table and index.html: the tables in the paper's layout, each of our figures beside the",
    "paper's, the test PSNR of every cell by epoch, and each cell's newest sample grids;",
    "rounds adds each cell's latent-space figure halfway through training and at its end (the",
    "paper's Fig. 5, as fedmed latent draws it, 400 samples per kind) in",
    '<out>/<cell>/latent-round-N.svg, shown in tables.md and index.html.',
    'The tables are printed on stdout too; progress goes to stderr. Ctrl-C or SIGTERM stops',
    'it once the file being written is complete (exit 130 or 143); run the same command again',
    'to go on.',
  ].join('\n'),
  flags: {
    scale: { type: 'string', help: 'how big every run is (see scales above)', choices: scaleNames },
    data: { type: 'string', help: "'phantom' (built in) or an IXI / BraTS2021 folder", default: 'phantom', placeholder: 'DIR|phantom' },
    out: { type: 'string', help: 'the experiment\'s folder (default experiments/<name>-<scale>)', placeholder: 'DIR' },
    backend: backendFlag,
    workers: { ...workersFlag, help: `${workersFlag.help}; a count N is at most N in each cell` },
  },
  takesPositionals: true,
  async run(flags, positionals) {
    const [name, extra] = positionals;
    if (!name) throw new UsageError(`fedmed experiment needs a NAME: ${experimentNames.join(', ')}; see fedmed experiment --help`);
    if (!(experimentNames as readonly string[]).includes(name)) throw new UsageError(`unknown experiment '${name}'; choose one of ${experimentNames.join(', ')}`);
    if (extra !== undefined) throw new UsageError(`fedmed experiment takes one NAME, got also '${extra}'`);
    if (flags.scale === undefined) throw new UsageError(`--scale is required: ${scaleNames.join(', ')}; see fedmed experiment --help`);
    const experiment = experiments[name as ExperimentName];
    const scale = scaleFor(scales[flags.scale as ScaleName], name as ExperimentName);
    const data = flags.data as string;
    const out = (flags.out as string | undefined) ?? path.join('experiments', `${name}-${scale.name}`);
    const kinds: DataKind[] = data === 'phantom' ? phantomKinds : [(await discoverDataset(data)).layout];
    const workers = parseWorkers(flags.workers as string);
    const cells = experiment.cells({ scale, kinds });
    await claimExperimentFolder(out, name, cells);
    const baseArgs = [...scaleArgs(scale, data), '--backend', flags.backend as string];
    await refuseOtherSettings(cells, { out, baseArgs });
    const backend = await setBackend(flags.backend as 'auto');
    console.error(backendLine(backend, flags.backend as string));
    refuseWorkersOnGpu(workers, backend.name); // once, not as every cell's failure
    console.error(`experiment ${name}, scale ${scale.name}: ${cells.length} cells in ${out}`);
    const started = performance.now();
    const log = (line: string) => console.error(line);
    const stop = handleStopSignals({ log });
    // Every cell stays locked until its figures and the tables are written from it (the process's exit releases them).
    const trained = await runGrid(cells, { out, baseArgs, workers, log, holdLocks: () => {} }).finally(() => stop.dispose());
    const results = experiment.latentFigures ? await writeLatentFigures(trained, experiment.latentFigures, { log }) : trained;
    const count = (action: string) => results.filter((r) => r.action === action).length;
    const tables = experimentTables(experiment.name, results, { scale, kinds });
    await writeRunFiles(out, experimentFiles({ name, scale: scale.name, tables, results }));
    console.error(`experiment ${name}: ${count('trained') + count('resumed')} cells trained, ${count('skipped')} finished before, ${count('failed')} failed; ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(tables.map(tableMarkdown).join('\n'));
    console.log(`tables: ${path.join(out, 'tables.md')}, page: ${path.join(out, 'index.html')}`);
    const failed = results.filter((r) => r.action === 'failed');
    if (failed.length) {
      const message = `${failed.length} of ${results.length} cells failed (${failed.map((r) => r.cell.id).join(', ')}); their tables show '-'; see the lines above, fix the cause and run again`;
      // A cell folder that holds something else is an output folder that is taken: a usage error, as for --out itself.
      throw failed.some((r) => r.folderTaken) ? new UsageError(message) : new Error(message);
    }
  },
};
