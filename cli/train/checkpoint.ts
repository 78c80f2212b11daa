/**
 * Checkpoints of a training run, written at the end of every round (every
 * epoch of centralized training) so that a crash loses at most one round:
 *
 *   checkpoints/round-0003/generators.safetensors   the global generators, PyTorch names
 *   checkpoints/round-0003/<client>.safetensors      its discriminators and both Adam states
 *   checkpoints/round-0003/progress.json             records, ledger, grids so far
 *   checkpoints/round-0003/manifest.json             SHA-256 of each file above, the run's settings
 *   checkpoints/latest                               "round-0003", rewritten atomically last
 *
 * A round's folder is complete (its manifest written last) before `latest`
 * names it, and older folders are removed only after, so whatever `latest`
 * names is whole; reading a checkpoint verifies it against its manifest first.
 * A round folder whose writing failed is removed at once (it is debris, and
 * holds space the next try needs); one a kill left without its manifest is
 * removed by `removeIncompleteRounds` when the run resumes.
 * The rounds of --keep-rounds keep their folders, for figures of those rounds.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors, type StateEntry } from '../../engine/index.js';
import { exists, fileError, FileSystemError, readFileOrExplain, writeFileAtomic } from '../../store/atomic.js';
import { readPointer, writePointer } from '../../store/folder.js';
import { manifestFile, verifyFolder, writeManifest, type Manifest } from '../../store/manifest.js';
import { readNamed } from '../../fed/state.js';
import type { GanModel } from '../../models/index.js';
import type { ClientHandle } from './client-handle.js';

/** What a checkpoint reads from and restores to a client, wherever it trains. */
type PrivateStateHolder = Pick<ClientHandle, 'name' | 'privateState' | 'restorePrivateState'>;

/** What a checkpoint restores besides the weights: the run's history. */
export interface Progress {
  /** Rounds (epochs, when centralized) completed. */
  round: number;
  /** The run's records so far, as the run folder shows them. */
  history: unknown;
}

const LATEST = 'latest';

/** The global generators' file in a round folder (what `fedmed eval` and `translate` load). */
export const generatorsFile = 'generators.safetensors';

/** A round's checkpoint folder: checkpoints/round-NNNN. */
export function roundFolder(runDir: string, round: number): string {
  return path.join(runDir, 'checkpoints', `round-${String(round).padStart(4, '0')}`);
}

/** Whether `name` is a round's checkpoint folder name, as roundFolder makes them (round-NNNN). */
function isRoundName(name: string): boolean {
  return /^round-\d+$/.test(name);
}

/** The round a checkpoint folder (checkpoints/round-NNNN) holds. */
export function roundOf(checkpoint: string): number {
  return Number(path.basename(checkpoint).slice('round-'.length));
}

/** The run folder holding `file` (RUN/checkpoints/round-NNNN/generators.safetensors, roundFolder's inverse), or null for a file outside a run. */
export function runOfCheckpoint(file: string): string | null {
  const round = path.dirname(file);
  const checkpoints = path.dirname(round);
  return isRoundName(path.basename(round)) && path.basename(checkpoints) === 'checkpoints' ? path.dirname(checkpoints) : null;
}

/** The metadata that lets `fedmed translate` and `eval` rebuild the model from the generators file. */
export type ModelMetadata = Record<string, string>;

export async function saveCheckpoint(
  runDir: string,
  progress: Progress,
  server: GanModel,
  clients: readonly PrivateStateHolder[],
  metadata: ModelMetadata,
  settings: Record<string, unknown>,
  keepRounds: readonly number[] = [],
): Promise<string> {
  const dir = roundFolder(runDir, progress.round);
  const generators = await readNamed(server.generatorParameters());
  const files: Record<string, Uint8Array | string> = { [generatorsFile]: encodeSafetensors(generators, { ...metadata, round: String(progress.round) }) };
  for (const client of clients) files[`${client.name}.safetensors`] = encodeSafetensors(await client.privateState());
  files['progress.json'] = JSON.stringify(progress);
  try {
    for (const [name, data] of Object.entries(files)) await writeFileAtomic(path.join(dir, name), data);
    await writeManifest(dir, Object.keys(files), settings);
  } catch (e) {
    await rm(dir, { recursive: true, force: true }).catch(() => {}); // not yet named by latest: a part of a checkpoint is no checkpoint
    throw e;
  }
  await writePointer(path.join(runDir, 'checkpoints', LATEST), path.basename(dir));
  const kept = new Set([dir, ...keepRounds.map((r) => roundFolder(runDir, r))].map((d) => path.basename(d)));
  for (const old of await readdir(path.join(runDir, 'checkpoints'))) {
    if (old.startsWith('round-') && !kept.has(old)) await rm(path.join(runDir, 'checkpoints', old), { recursive: true, force: true });
  }
  return dir;
}

/** The rounds whose checkpoint folders the run holds (its latest and those of --keep-rounds), ascending. */
export async function keptRounds(runDir: string): Promise<number[]> {
  const names = await readdir(path.join(runDir, 'checkpoints')).catch(() => [] as string[]);
  return names.filter(isRoundName).map(roundOf).sort((a, b) => a - b);
}

/**
 * Removes the round folders beside `latest` (the folder checkpoints/latest
 * names) that have no manifest: checkpoints a kill left half written (or
 * half removed), never read, holding space the next round needs. A folder
 * with a manifest is whole and stays. Returns the folders removed.
 */
export async function removeIncompleteRounds(latest: string): Promise<string[]> {
  const removed: string[] = [];
  const checkpoints = path.dirname(latest);
  for (const name of await readdir(checkpoints)) {
    const dir = path.join(checkpoints, name);
    if (!isRoundName(name) || name === path.basename(latest) || (await exists(path.join(dir, manifestFile)))) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Verifies the checkpoint `latest` names (`checkpoint`) against its
 * manifest. When it fails and an earlier checkpoint of the run (one that
 * --keep-rounds kept) is intact, the error names the newest such one and
 * how to resume from it: going back by itself would drop rounds unsaid.
 */
export async function verifyLatest(runDir: string, checkpoint: string): Promise<Manifest> {
  try {
    return (await verifyFolder(checkpoint))!;
  } catch (e) {
    if (e instanceof FileSystemError) throw e; // the disk refused: no checkpoint was found damaged
    const earlier = await newestIntactBefore(runDir, roundOf(checkpoint));
    if (!earlier) throw e;
    const pointer = path.join(runDir, 'checkpoints', LATEST);
    throw new Error(`${(e as Error).message}; ${earlier} is intact: to resume from it, redoing the rounds after round ${roundOf(earlier)}, write ${path.basename(earlier)} into ${pointer} and run fedmed train --resume ${runDir} again`);
  }
}

/** The newest checkpoint folder before `round` that verifies against its manifest; null when none does. */
async function newestIntactBefore(runDir: string, round: number): Promise<string | null> {
  for (const earlier of (await keptRounds(runDir)).filter((r) => r < round).reverse()) {
    const dir = roundFolder(runDir, earlier);
    if (await verifyFolder(dir).then(() => true, () => false)) return dir;
  }
  return null;
}

/** The folder `latest` names (refused when it is outside the run's checkpoints), or null when the run has no checkpoint yet. */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  return readPointer(path.join(runDir, 'checkpoints', LATEST));
}

export interface LoadedCheckpoint {
  progress: Progress;
  generators: Map<string, StateEntry>;
  metadata: Record<string, string>;
  /** The verified manifest: the files' hashes and the run's settings. */
  manifest: Manifest;
}

/** Verifies `dir` against its manifest, restores every client's private state from it; returns the global generators and the progress. */
export async function loadCheckpoint(dir: string, clients: readonly PrivateStateHolder[]): Promise<LoadedCheckpoint> {
  const manifest = (await verifyFolder(dir))!;
  const { tensors: generators, metadata } = await readSafetensors(path.join(dir, generatorsFile));
  for (const client of clients) {
    const file = path.join(dir, `${client.name}.safetensors`);
    await client.restorePrivateState((await readSafetensors(file)).tensors, file);
  }
  const progress = await readProgress(path.join(dir, 'progress.json'));
  return { progress, generators, metadata, manifest };
}

async function readProgress(file: string): Promise<Progress> {
  let parsed: Partial<Progress>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Progress>;
  } catch (e) {
    throw e instanceof SyntaxError ? new Error(`${file}: not valid JSON`) : fileError('read', file, e);
  }
  const history = parsed?.history as Record<string, unknown> | undefined;
  const lists = ['records', 'grids', 'baseline', 'ledger', 'clients'];
  if (!Number.isInteger(parsed?.round) || !history || lists.some((k) => !Array.isArray(history[k]))) {
    throw new Error(`${file}: not a checkpoint's progress (round and history with ${lists.join(', ')} expected)`);
  }
  return parsed as Progress;
}

export async function readSafetensors(file: string): Promise<ReturnType<typeof decodeSafetensors>> {
  return decodeSafetensors(await readFileOrExplain(file), file);
}
