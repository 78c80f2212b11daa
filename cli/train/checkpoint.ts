/**
 * Checkpoints of a training run, written at the end of every round (every
 * epoch of centralized training) so that a crash loses at most one round:
 *
 *   checkpoints/round-0003/generators.safetensors   the global generators, PyTorch names
 *   checkpoints/round-0003/<client>.safetensors      its discriminators and both Adam states
 *   checkpoints/round-0003/progress.json             records, ledger, grids so far
 *   checkpoints/latest                               "round-0003", rewritten atomically last
 *
 * A round's folder is complete before `latest` names it, and older folders
 * are removed only after, so whatever `latest` names is whole.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors, type StateEntry } from '../../engine/index.js';
import { writeFileAtomic } from '../../eval/fs.js';
import type { Client } from '../../fed/client.js';
import { readNamed } from '../../fed/state.js';
import type { GanModel } from '../../models/index.js';

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

function roundFolder(runDir: string, round: number): string {
  return path.join(runDir, 'checkpoints', `round-${String(round).padStart(4, '0')}`);
}

/** The metadata that lets `fedmed translate` and `eval` rebuild the model from the generators file. */
export type ModelMetadata = Record<string, string>;

export async function saveCheckpoint(
  runDir: string,
  progress: Progress,
  server: GanModel,
  clients: readonly Client[],
  metadata: ModelMetadata,
): Promise<string> {
  const dir = roundFolder(runDir, progress.round);
  const generators = await readNamed(server.generatorParameters());
  await writeFileAtomic(path.join(dir, generatorsFile), encodeSafetensors(generators, { ...metadata, round: String(progress.round) }));
  for (const client of clients) {
    await writeFileAtomic(path.join(dir, `${client.name}.safetensors`), encodeSafetensors(await client.privateState()));
  }
  await writeFileAtomic(path.join(dir, 'progress.json'), JSON.stringify(progress));
  await writeFileAtomic(path.join(runDir, 'checkpoints', LATEST), path.basename(dir) + '\n');
  for (const old of await readdir(path.join(runDir, 'checkpoints'))) {
    if (old.startsWith('round-') && old !== path.basename(dir)) await rm(path.join(runDir, 'checkpoints', old), { recursive: true, force: true });
  }
  return dir;
}

/** The folder `latest` names, or null when the run has no checkpoint yet. */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  try {
    const name = (await readFile(path.join(runDir, 'checkpoints', LATEST), 'utf8')).trim();
    return path.join(runDir, 'checkpoints', name);
  } catch {
    return null;
  }
}

export interface LoadedCheckpoint {
  progress: Progress;
  generators: Map<string, StateEntry>;
  metadata: Record<string, string>;
}

/** Restores every client's private state from `dir`; returns the global generators and the progress. */
export async function loadCheckpoint(dir: string, clients: readonly Client[]): Promise<LoadedCheckpoint> {
  const { tensors: generators, metadata } = await readSafetensors(path.join(dir, generatorsFile));
  for (const client of clients) {
    const file = path.join(dir, `${client.name}.safetensors`);
    client.restorePrivateState((await readSafetensors(file)).tensors, file);
  }
  const progress = JSON.parse(await readFile(path.join(dir, 'progress.json'), 'utf8')) as Progress;
  return { progress, generators, metadata };
}

export async function readSafetensors(file: string): Promise<ReturnType<typeof decodeSafetensors>> {
  return decodeSafetensors(await readFileBytes(file), file);
}

/** A file's bytes; a failure is one line naming the file. */
export async function readFileBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
