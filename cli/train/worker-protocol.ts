/**
 * What crosses between a run and its client worker threads
 * (cli/train/worker-clients.ts, cli/train/client-worker.ts), by structured
 * clone: the config and each client's subjects once, then per call the
 * generators down, the upload, sample count and losses up, a step event per
 * step, and a client's private state for checkpoints only. Errors cross as
 * name, message, stack and fields, and are rebuilt as their class on this
 * side, so the CLI's exit status follows the error as in one thread.
 */
import type { StateEntry } from '../../engine/index.js';
import { BackendUnavailableError, HandleError } from '../../engine/index.js';
import { DataError, type Subject } from '../../data/index.js';
import { NonFiniteLossError, type StepEvent } from '../../fed/client.js';
import { FileSystemError } from '../../store/atomic.js';
import { UsageError } from '../args.js';
import type { ClientFacts } from './client-handle.js';
import type { TrainConfig } from './config.js';

/** One client of a worker: built there by buildClient(config, subjects, k, name), as in one thread. */
export interface ClientShare {
  k: number;
  name: string;
  subjects: Subject[];
}

/** A worker's workerData. */
export interface WorkerInit {
  config: TrainConfig;
  backend: 'wasm' | 'js';
  /** wasm: the worker engine's threads, its own included. */
  threads?: number;
  clients: ClientShare[];
}

/** The id of a worker's start-up, answered by `ready` (or an error); calls count from 1. */
export const startId = 0;

export type ClientCall = { id: number; client: string } & (
  | { method: 'receive'; global: ReadonlyMap<string, StateEntry> }
  | { method: 'trainRound'; firstEpoch: number; localEpochs: number }
  | { method: 'upload' }
  | { method: 'privateState' }
  | { method: 'restorePrivateState'; state: ReadonlyMap<string, StateEntry>; where: string }
);

export type WorkerReply =
  | { kind: 'ready'; id: typeof startId; facts: ClientFacts[] }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: SerializedError }
  | { kind: 'step'; client: string; event: StepEvent; localEpoch: number };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own fields that are plain values (a FileSystemError's code and path). */
  fields: Record<string, string | number | boolean>;
}

/** The errors a worker may throw that the CLI tells apart (cli/main.ts maps them to exit codes). */
const knownErrors: (new (...args: never[]) => Error)[] = [NonFiniteLossError, FileSystemError, UsageError, DataError, BackendUnavailableError, HandleError];

export function serializeError(e: unknown): SerializedError {
  const error = e instanceof Error ? e : new Error(String(e));
  const fields: SerializedError['fields'] = {};
  for (const [k, v] of Object.entries(error)) {
    if (k !== 'name' && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) fields[k] = v;
  }
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

/** The error as its own class where it is one of knownErrors (built without its constructor, fields restored), else an Error. */
export function reviveError(s: SerializedError): Error {
  const known = knownErrors.find((c) => c.name === s.name);
  const error = Object.create((known ?? Error).prototype) as Error;
  Object.assign(error, s.fields, { name: s.name, message: s.message, stack: `${s.stack ?? `${s.name}: ${s.message}`}\n    (thrown in a client worker thread)` });
  return error;
}
