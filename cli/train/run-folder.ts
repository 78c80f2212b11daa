/**
 * The run folder's rules, checked before any data is loaded: a new run goes
 * only into a new or empty folder or one fedmed can prove a run of its own
 * (store/folder.ts's marker, or a checkpoint with its manifest), never lands
 * on an old run (`--force` removes the old run's files first, so two runs
 * never mix, and nothing else), the folder is really writable with room for
 * the checkpoints a round holds at once, and a resumed run is the run that
 * was started (its config.json matches the settings fingerprinted into its
 * last checkpoint's manifest), its leftovers (temporary files, half-written
 * round folders) cleared. One process at a time holds a run folder (store/lock.ts), from
 * these checks to its exit: two runs in one folder would each remove the
 * other's checkpoints and show the other's images under their captions.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { exists, fileError } from '../../store/atomic.js';
import { createModel } from '../../models/index.js';
import { checkFolder, checkFreeSpace, claimFolder, FolderTakenError, probeOutputFolder, removeTempFiles, type FolderRule } from '../../store/folder.js';
import { lockFolder } from '../../store/lock.js';
import { changedKeys, readManifest, type Manifest } from '../../store/manifest.js';
import { UsageError } from '../args.js';
import { latestCheckpoint, removeIncompleteRounds, roundOf, verifyLatest } from './checkpoint.js';
import { trainFlags, type TrainConfig } from './config.js';

/** Everything a training run writes into its folder (what `--force` removes). */
export const runEntries = [
  'config.json', 'metrics.csv', 'metrics.json', 'curves.svg', 'report.html', 'grids', 'checkpoints',
  'clients.json', 'clients.csv', 'privacy.json', 'privacy.csv', 'skipped.json',
  /^latent(-round-\d+)?\.svg$/, // fedmed latent's default output, an experiment cell's figures
];

/**
 * A run folder as store/folder.ts claims it. A run an earlier fedmed wrote,
 * before folders were marked, is recognised by its checkpoints/latest naming
 * a checkpoint with a manifest.
 */
export const runFolder: FolderRule = {
  kind: 'training run',
  owned: runEntries,
  recognise: async (dir) => {
    const checkpoint = await latestCheckpoint(dir);
    return checkpoint !== null && (await readManifest(checkpoint)) !== null;
  },
};

/**
 * The settings that define a run: its config without the backend (a resumed
 * run may change backend, nothing else) and without the test subjects it
 * recorded, which are what its data gave, not a setting: a config made from
 * the same flags (an experiment's cell) is the same run.
 */
export function runSettings(config: TrainConfig): Record<string, unknown> {
  const { backend: _backend, testSubjects: _testSubjects, ...settings } = config;
  return settings;
}

/** Bytes of the global generators, and of one client's private state: its discriminators and both Adams' two moments (float32). */
function stateBytes(config: TrainConfig): { generators: number; client: number } {
  const model = createModel(config.model, { width: config.width, size: config.size, identity: config.identity, seed: config.seed });
  try {
    const count = (params: [string, { size: number }][]) => params.reduce((n, [, t]) => n + t.size, 0);
    const [g, d] = [count(model.generatorParameters()), count(model.discriminatorParameters())];
    return { generators: 4 * g, client: 4 * (3 * d + 2 * g) };
  } finally {
    model.dispose();
  }
}

/** Room for headers, progress, a DP key. */
const slack = 2 ** 20;

/** Bytes of one checkpoint (a run needs room for two: the next is written whole before the last is removed): the global generators and every client's private state. */
export function checkpointBytes(config: TrainConfig): number {
  const { generators, client } = stateBytes(config);
  return generators + Math.max(1, config.clients) * client + slack;
}

/** Bytes a Flower node's state folder needs: two client files, since the next is written whole before the last is removed (it keeps no generators). */
export function nodeStateBytes(config: TrainConfig): number {
  return 2 * (stateBytes(config).client + slack);
}

function keptWords(kept: number): string {
  return kept ? ` and ${kept} more that --keep-rounds keeps` : '';
}

export interface PrepareOptions {
  resume: boolean;
  /** Replace a run already in the folder. */
  force: boolean;
  log: (line: string) => void;
  /** The folder's lock when the caller took it already (savedRunConfig's, for --resume). */
  lock?: () => void;
}

/** Refuses a resumed run whose config differs from the settings its checkpoint's manifest holds, naming the keys. */
export function refuseChangedSettings(runDir: string, config: TrainConfig, manifest: Manifest): void {
  const changed = changedKeys(runSettings(config), manifest.settings);
  if (changed.length) {
    throw new Error(`${path.join(runDir, 'config.json')}: differs from the run's checkpoint in ${changed.join(', ')}; a resumed run keeps the settings it was started with`);
  }
}

/**
 * The config `--resume` continues a run with (its config.json), read under
 * the folder's lock, which is returned held (for prepareRunFolder): a run
 * still going in the folder is refused, naming it, before anything is read
 * (its checkpoints change under a reader as each round is written). Then
 * it is checked before anything uses it: a folder with no checkpoint yet
 * is told to start over; a config.json that cannot be read names the file
 * (exit 74 when the disk refuses); one that is no JSON object, has a
 * backend or test subjects fedmed never writes, or settings other than its
 * checkpoint's manifest holds, is refused naming the file and the keys.
 */
export async function savedRunConfig(runDir: string): Promise<{ config: TrainConfig; lock: () => void }> {
  if (!(await exists(runDir))) throw new UsageError(`--resume ${runDir}: no such folder`);
  const lock = await lockFolder(runDir, runFolder.kind);
  try {
    return { config: await readRunConfig(runDir), lock };
  } catch (e) {
    lock();
    throw e;
  }
}

async function readRunConfig(runDir: string): Promise<TrainConfig> {
  await checkFolder(runDir, runFolder); // another kind's folder, or files fedmed did not write, are refused as such
  const checkpoint = await latestCheckpoint(runDir);
  if (!checkpoint) throw new UsageError(`--resume ${runDir}: the run has no checkpoint yet (it stopped before its first one); start it over: the fedmed train command that started it, with --out ${runDir} --force`);
  const config = await readSavedConfig(path.join(runDir, 'config.json'));
  // A checkpoint without a manifest is refused as prepareRunFolder would, here before the config's other settings are used.
  refuseChangedSettings(runDir, config, (await readManifest(checkpoint)) ?? (await verifyLatest(runDir, checkpoint)));
  return config;
}

/**
 * A run folder's config.json, checked as far as it can be on its own: a
 * file that cannot be read names the file (exit 74 when the disk refuses);
 * one that is no JSON object, or has a backend or test subjects fedmed
 * never writes, is refused naming the file. Its settings are the
 * checkpoint's manifest's to judge.
 */
export async function readSavedConfig(file: string): Promise<TrainConfig> {
  let config: unknown;
  try {
    config = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw e instanceof SyntaxError ? new Error(`${file}: not valid JSON (${e.message})`) : fileError('read', file, e);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error(`${file}: not a run's config (a JSON object of its settings)`);
  const { backend, testSubjects } = config as Partial<Record<keyof TrainConfig, unknown>>;
  const backends: readonly string[] = trainFlags.backend.choices ?? [];
  if (typeof backend !== 'string' || !backends.includes(backend)) throw new Error(`${file}: backend ${JSON.stringify(backend)} is not one of ${backends.join(', ')}`);
  if (testSubjects !== undefined && !(Array.isArray(testSubjects) && testSubjects.every((s) => typeof s === 'string'))) throw new Error(`${file}: testSubjects is not a list of subject names`);
  return config as TrainConfig;
}

/**
 * Locks (unless options.lock is the lock held already), checks and claims
 * `runDir` for `config`; throws one line when the run must not start (a
 * folder another process holds is refused before anything in it is read or
 * changed). Returns the lock's release: the lock is held until then or
 * until the process exits.
 */
export async function prepareRunFolder(runDir: string, config: TrainConfig, options: PrepareOptions): Promise<() => void> {
  await probeOutputFolder(runDir);
  const release = options.lock ?? (await lockFolder(runDir, runFolder.kind));
  try {
    await checkRunFolder(runDir, config, options);
    return release;
  } catch (e) {
    release();
    throw e;
  }
}

async function checkRunFolder(runDir: string, config: TrainConfig, options: PrepareOptions): Promise<void> {
  if (options.resume) {
    const checkpoint = await latestCheckpoint(runDir);
    if (!checkpoint) throw new Error(`${runDir}: no checkpoint to resume from`);
    refuseChangedSettings(runDir, config, await verifyLatest(runDir, checkpoint)); // verified before any data is loaded or a worker started
    for (const file of await removeTempFiles(runDir)) options.log(`removed ${file}, left by an interrupted write`);
    for (const folder of await removeIncompleteRounds(checkpoint)) options.log(`removed ${folder}, a checkpoint an interrupted write left incomplete`);
    const keptLater = (config.keepRounds ?? []).filter((r) => r > roundOf(checkpoint)).length;
    await checkFreeSpace(runDir, (1 + keptLater) * checkpointBytes(config), `the next checkpoint beside the last${keptWords(keptLater)}`);
    return;
  }
  const kept = config.keepRounds?.length ?? 0;
  await checkFreeSpace(runDir, (2 + kept) * checkpointBytes(config), `2 checkpoints side by side (the next is written whole before the last is removed)${keptWords(kept)}`);
  try {
    if ((await claimFolder(runDir, { ...runFolder, force: options.force })) === 'replaced') {
      options.log(`--force: removed the previous run's files from ${runDir}`);
    }
  } catch (e) {
    if (e instanceof FolderTakenError && e.holder === runFolder.kind) throw new UsageError(`${runDir} already holds a run; continue it with --resume ${runDir}, or replace it with --force`);
    throw e;
  }
}
