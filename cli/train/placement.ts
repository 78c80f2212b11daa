/**
 * Where a run's clients train: in turn in this thread, or in worker threads
 * (--workers), each worker an engine of its own holding some clients for
 * the whole run. A round's clients are independent, so on a CPU backend
 * workers keep every core busy with a step's arithmetic, where one engine's
 * kernel threads barely help on small steps. WebGPU stays in one process:
 * one GPU device per process, which threads would only queue on.
 */
import { getBackend, platform, type BackendName } from '../../engine/index.js';
import { UsageError } from '../args.js';

/** `--workers`: a count, or auto. */
export type WorkersChoice = number | 'auto';

/** How a run trains its clients. */
export interface Placement {
  /** 1: in turn, in this thread. */
  workers: number;
  /** wasm: each worker engine's threads (--threads, else the cores shared among the workers); unused at 1 worker. */
  threads?: number;
  /** Why this many, in words. */
  why: string;
}

export function parseWorkers(text: string): WorkersChoice {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`--workers is a whole number >= 1 or auto, got '${text}'`);
  return n;
}

export interface PlacementFacts {
  /** Clients of the run, 0 when centralized. */
  clients: number;
  backend: BackendName;
  cores: number;
  /** --threads, where given. */
  threads?: number;
}

/** webgpu keeps one GPU device per process, so a count above 1 is a UsageError there (before any run starts, in an experiment). */
export function refuseWorkersOnGpu(choice: WorkersChoice, backend: BackendName): void {
  if (choice !== 'auto' && choice > 1 && backend === 'webgpu') throw new UsageError(`--workers ${choice}: webgpu trains in one process (one GPU device per process); use --workers 1 or auto`);
}

/** The placement `choice` gives for this run; a count the run cannot use is a UsageError. */
export function placeClients(choice: WorkersChoice, f: PlacementFacts): Placement {
  const cpu = f.backend !== 'webgpu';
  let workers: number;
  let why: string;
  if (choice === 'auto') {
    workers = f.clients > 1 && cpu ? Math.min(f.clients, f.cores) : 1;
    why = f.clients === 0 ? 'auto: a centralized run has one client' : !cpu ? 'auto: webgpu, one GPU device per process' : `auto: min(${f.clients} clients, ${f.cores} cores)`;
  } else {
    if (choice > 1 && f.clients === 0) throw new UsageError(`--workers ${choice}: a centralized run has one client; use --workers 1 or auto`);
    refuseWorkersOnGpu(choice, f.backend);
    if (choice > Math.max(f.clients, 1)) throw new UsageError(`--workers ${choice}: the run has ${f.clients} clients, so at most ${f.clients} workers`);
    workers = choice;
    why = `--workers ${choice}`;
  }
  const threads = f.threads ?? (workers > 1 ? Math.max(1, Math.floor(f.cores / workers)) : undefined);
  return { workers, threads, why };
}

/**
 * Longest processing time first: the heaviest client goes to the least
 * loaded worker, so 4:3:2:1 on two workers gives 4+1 and 3+2. Returns each
 * worker's client indices, ascending (the order it trains them).
 */
export function assignClients(loads: readonly number[], workers: number): number[][] {
  const groups: number[][] = Array.from({ length: workers }, () => []);
  const totals = new Array<number>(workers).fill(0);
  const heaviestFirst = loads.map((load, i) => ({ load, i })).sort((a, b) => b.load - a.load || a.i - b.i);
  for (const { load, i } of heaviestFirst) {
    const w = totals.indexOf(Math.min(...totals));
    groups[w]!.push(i);
    totals[w]! += load;
  }
  return groups.map((g) => g.sort((a, b) => a - b));
}

/** An experiment's cells differ in clients (some are centralized): a count N means up to N for each, on the current backend. */
export function cellPlacement(choice: WorkersChoice, config: { clients: number }): Placement {
  const fitted = choice === 'auto' ? choice : Math.min(choice, Math.max(1, config.clients));
  return placeClients(fitted, { clients: config.clients, backend: getBackend().name, cores: platform().cores() });
}
