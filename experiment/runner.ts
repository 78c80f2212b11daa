/**
 * Runs an experiment's cells one after another, each a normal run folder
 * made by `fedmed train`'s own code (config from its flags, the run folder's
 * checks, runTraining). A cell whose last checkpoint holds every round is
 * skipped, one stopped part way resumes from its checkpoint, so an
 * interrupted experiment continues where it stopped when run again.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Progress } from '../cli/progress.js';
import { trainConfigFromArgs, type TrainConfig } from '../cli/train/config.js';
import { latestCheckpoint, verifyLatest } from '../cli/train/checkpoint.js';
import { prepareRunFolder, readSavedConfig, refuseChangedSettings, runFolder, runSettings } from '../cli/train/run-folder.js';
import { runTraining, type RunOptions } from '../cli/train/run.js';
import { cellPlacement, type WorkersChoice } from '../cli/train/placement.js';
import type { EpochRecord } from '../eval/records.js';
import { exists, fileError, FileSystemError } from '../store/atomic.js';
import { checkFolder, claimFolder, FolderTakenError, probeOutputFolder } from '../store/folder.js';
import { lockFolder } from '../store/lock.js';
import { changedKeys } from '../store/manifest.js';
import type { Cell } from './grids.js';

/** What a cell's folder holds before the experiment touches it. */
export type CellState = 'new' | 'partial' | 'done';

/** A cell as the tables read it. */
export interface CellResult {
  cell: Cell;
  dir: string;
  config: TrainConfig;
  /** What this invocation did with it. */
  action: 'skipped' | 'resumed' | 'trained' | 'failed';
  /** Why it failed, one line (its folder keeps its last good checkpoint, or is left untouched). */
  error?: string;
  /** A failed cell whose folder holds another run or files fedmed did not write: a usage error (exit 2), not a failed run. */
  folderTaken?: true;
  /** Its metrics after every epoch (centralized) or round (federated); a failed cell's stop short, and the tables leave them out. */
  records: EpochRecord[];
  /** The largest epsilon over clients at the end (DP runs), or null. */
  epsilon: number | null;
  /** The newest round's sample grids, relative to `dir` (one per direction). */
  grids: string[];
  /** Its latent-space figures, one per kept round (files relative to `dir`), and the paper's panel letter, where the experiment draws them (experiment/latent-figures.ts). */
  latent?: { panel: string; figures: { file: string; round: number }[] };
}

export interface RunGridOptions {
  /** The experiment's folder; cell i lives in `<out>/<cell.id>`. */
  out: string;
  /** Train flags every cell shares (scale, data, backend). */
  baseArgs: string[];
  /** Lines for the person watching (stderr in the CLI). */
  log: (line: string) => void;
  /** --workers for every cell, at most the cell's clients (default: each cell's clients in turn in one thread). */
  workers?: WorkersChoice;
  /**
   * Given, each cell's lock is handed here once its results are read instead
   * of released, so that the caller, which goes on to read the cells (latent
   * figures, tables), reads folders no other process can change meanwhile.
   */
  holdLocks?: (release: () => void) => void;
  /** Passed to runTraining (tests: no progress line, quiet, simulated crashes); by default a progress line on stderr. */
  train?: Pick<RunOptions, 'progress' | 'stopAfterRounds' | 'log'>;
}

/**
 * Claims `out` for experiment `name` (store/folder.ts) and locks it, so that
 * a second experiment on it is refused at once instead of leapfrogging this
 * one's cells: a new or empty folder, or this experiment's own, which
 * running the command again continues (nothing in it is replaced here; each
 * cell's folder is a run folder with its own rules). An experiment an
 * earlier fedmed wrote, before folders were marked, is recognised by
 * holding only its cells' folders and its table files. Refused: anything
 * else, another experiment's folder, a run's. Returns the lock's release
 * (held until the process exits otherwise).
 */
export async function claimExperimentFolder(out: string, name: string, cells: readonly Cell[]): Promise<() => void> {
  const ids = new Set(cells.map((c) => c.id));
  const ownFile = (entry: string) => ids.has(entry) || /^(tables\.md|index\.html|[\w-]+\.csv)$/.test(entry);
  await probeOutputFolder(out);
  const release = await lockFolder(out, `experiment ${name}`);
  try {
    await claimFolder(out, { kind: `experiment ${name}`, owned: [], recognise: async (_dir, entries) => entries.some((e) => ids.has(e)) && entries.every(ownFile) });
  } catch (e) {
    release();
    throw e;
  }
  return release;
}

/** Where a cell's folder stands, and the test subjects its run recorded (for a resumed cell to keep). */
export interface CellFolder {
  state: CellState;
  testSubjects?: string[];
}

/**
 * Where the cell's folder stands; the caller holds its lock, since a run
 * going on replaces the checkpoints read here. It must be empty or a fedmed
 * run of this cell's settings (all but the backend), or it belongs to
 * something else and is refused. The last checkpoint, verified against its
 * manifest, is the authority: it says whether the run is done, and a run
 * with a checkpoint is never 'new' (which is trained over), config.json or
 * not. Its config.json is read by the same checks as train --resume's.
 */
export async function cellState(dir: string, config: TrainConfig): Promise<CellFolder> {
  await checkFolder(dir, runFolder);
  const configFile = path.join(dir, 'config.json');
  const saved = (await exists(configFile)) ? await readSavedConfig(configFile) : null;
  const otherSettings = (keys: string[]) => new FolderTakenError(`${dir}: holds a run with other settings (${keys.join(', ')}); remove it or choose another --out`, runFolder.kind);
  const checkpoint = await latestCheckpoint(dir);
  if (!checkpoint) {
    // Stopped before its first round ended: nothing to keep, but a config.json of other settings is another run's.
    const changed = saved ? changedKeys(runSettings(config), runSettings(saved)) : [];
    if (changed.length) throw otherSettings(changed);
    return { state: 'new' };
  }
  const manifest = await verifyLatest(dir, checkpoint); // a damaged one's error names an intact earlier round and the way back to it
  const changed = changedKeys(runSettings(config), manifest.settings);
  if (changed.length) throw otherSettings(changed);
  if (saved) refuseChangedSettings(dir, saved, manifest); // an edited config.json, as train --resume refuses it
  const progress = await readJson<{ round: number }>(path.join(checkpoint, 'progress.json'));
  // A stop between the last checkpoint and the run files after it left them a round behind: resuming rewrites them (no round trained).
  const last = progress.round >= config.rounds ? (await readCellResults(dir)).records.at(-1) : undefined;
  const written = last?.round ?? last?.epoch; // a federated run's records count rounds, a centralized run's epochs: both progress.round's unit
  return { state: written === progress.round ? 'done' : 'partial', testSubjects: saved?.testSubjects };
}

/**
 * Refuses `out` when its cells hold runs and not one of them has these
 * settings: it is this experiment at another scale or on other data (a
 * mistyped --scale, say), and going on would only rewrite its tables with
 * '-'. That is a folder taken as a whole, refused before anything is
 * touched; one odd cell among cells of these settings is that cell's
 * failure (runGrid), as is a config.json that cannot be read.
 */
export async function refuseOtherSettings(cells: readonly Cell[], options: Pick<RunGridOptions, 'out' | 'baseArgs'>): Promise<void> {
  const changed = new Set<string>();
  for (const cell of cells) {
    const saved = await readSavedConfig(path.join(options.out, cell.id, 'config.json')).catch(() => null);
    if (!saved) continue;
    const keys = changedKeys(runSettings(await cellConfig(cell, options.baseArgs)), runSettings(saved));
    if (!keys.length) return; // a cell of these settings: the folder is this run's
    for (const key of keys) changed.add(key);
  }
  if (changed.size) throw new FolderTakenError(`${options.out}: its cells hold runs with other settings (${[...changed].sort().join(', ')}); give the --scale and --data they were made with, or another --out`, runFolder.kind);
}

/** A cell's TrainConfig, from the flags every cell shares and its own. */
function cellConfig(cell: Cell, baseArgs: readonly string[]): Promise<TrainConfig> {
  return trainConfigFromArgs([...baseArgs, ...cell.args]);
}

/** Seconds the cell's rounds took to train and evaluate, over all the invocations that ran them. */
export function trainingSeconds(result: CellResult): number {
  return result.records.reduce((s, r) => s + (r.seconds ?? 0), 0);
}

/**
 * Trains (or skips, or resumes) every cell in order; returns each one's
 * results. A cell that fails, in training or before (a damaged checkpoint,
 * a folder of other settings), is logged and returned as failed, and the
 * next cell runs: one bad cell must not block the others, now or on every re-run.
 */
export async function runGrid(cells: readonly Cell[], options: RunGridOptions): Promise<CellResult[]> {
  const results: CellResult[] = [];
  for (const [i, cell] of cells.entries()) {
    const dir = path.join(options.out, cell.id);
    const config = await cellConfig(cell, options.baseArgs);
    const where = `cell ${i + 1} of ${cells.length}, ${cell.id}`;
    try {
      results.push({ cell, dir, config, ...(await runCell(dir, config, cell, where, options)) });
    } catch (e) {
      if (e instanceof FileSystemError) throw e; // a full or read-only disk is no one cell's: every cell after it would fail alike
      const error = (e as Error).message.split('\n')[0]!;
      options.log(`${where}: failed: ${error}`);
      results.push({ cell, dir, config, action: 'failed', error, ...(await failedCellShows(dir, e)) });
    }
  }
  return results;
}

/**
 * What a failed cell's folder shows on the page: a run that stopped keeps
 * what it finished (its curve, its grids; a damaged folder may hold nothing
 * readable), a folder that is not this cell's run shows nothing of it.
 */
async function failedCellShows(dir: string, error: unknown): Promise<Pick<CellResult, 'folderTaken' | 'records' | 'epsilon' | 'grids'>> {
  if (error instanceof FolderTakenError) return { folderTaken: true, records: [], epsilon: null, grids: [] };
  const finished = await readCellResults(dir).catch(() => ({ records: [], epsilon: null }));
  return { ...finished, grids: await newestGrids(dir) };
}

/** What runCell did with a cell, and what its folder then shows, read under its lock. */
type CellRun = Pick<CellResult, 'action' | 'records' | 'epsilon' | 'grids'>;

/** Skips, resumes or trains one cell by its folder's state, and reads its results, all under the cell's lock. */
async function runCell(dir: string, config: TrainConfig, cell: Cell, where: string, options: RunGridOptions): Promise<CellRun> {
  await probeOutputFolder(dir);
  const release = await lockFolder(dir, runFolder.kind);
  let held = false;
  try {
    const action = await trainCell(dir, config, cell, where, options, release);
    const shown = { action, ...(await readCellResults(dir)), grids: await newestGrids(dir) };
    if (options.holdLocks) {
      options.holdLocks(release);
      held = true;
    }
    return shown;
  } finally {
    if (!held) release();
  }
}

/** The cell's training by its folder's state (the caller holds the lock, `release`). */
async function trainCell(dir: string, config: TrainConfig, cell: Cell, where: string, options: RunGridOptions, release: () => void): Promise<CellResult['action']> {
  const { state, testSubjects } = await cellState(dir, config);
  if (state === 'done') {
    options.log(`${where}: finished before, skipped`);
    return 'skipped';
  }
  const resume = state === 'partial';
  options.log(`${where}: ${resume ? 'resuming' : 'training'} (fedmed train ${cell.args.join(' ')})`);
  // A 'new' folder holds no checkpoint, at most a run stopped before its first: force replaces its files.
  // A resumed cell keeps the test subjects its run recorded, as train --resume does.
  const run = resume ? { ...config, testSubjects } : config;
  await prepareRunFolder(dir, run, { resume, force: !resume, log: options.log, lock: release });
  // Its own progress line per cell (rate and ETA are the cell's), on stderr with the lines above it: stdout is for the tables.
  const placement = options.workers === undefined ? undefined : cellPlacement(options.workers, run);
  await runTraining(run, dir, { resume, progress: new Progress({ out: process.stderr }), placement, ...options.train });
  return resume ? 'resumed' : 'trained';
}

/** A run folder's per-epoch metrics and final epsilon (none before its first round ended). */
async function readCellResults(dir: string): Promise<{ records: EpochRecord[]; epsilon: number | null }> {
  const metricsFile = path.join(dir, 'metrics.json');
  if (!(await exists(metricsFile))) return { records: [], epsilon: null };
  const { epochs } = await readJson<{ epochs: EpochRecord[] }>(metricsFile);
  const privacyFile = path.join(dir, 'privacy.json');
  if (!(await exists(privacyFile))) return { records: epochs, epsilon: null };
  const { entries } = await readJson<{ entries: { epsilon: number }[] }>(privacyFile);
  return { records: epochs, epsilon: Math.max(...entries.map((e) => e.epsilon)) };
}

/** The grid PNGs of the newest round: run.ts names them '<unit>-<round, 3 digits>-<direction>.png', so they sort last together. */
async function newestGrids(dir: string): Promise<string[]> {
  const files = (await readdir(path.join(dir, 'grids')).catch(() => [] as string[])).filter((f) => f.endsWith('.png')).sort();
  const newest = files.at(-1)?.split('-').slice(0, 2).join('-');
  return files.filter((f) => f.split('-').slice(0, 2).join('-') === newest).map((f) => `grids/${f}`);
}

/** A run file's JSON; a missing or damaged file is one line naming it. */
async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw fileError('read', file, e);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file}: not valid JSON; the run folder was changed or damaged`);
  }
}
