/**
 * SIGINT and SIGTERM for the long commands (`train`, `node`, `experiment`), in one place.
 * A signal aborts `signal`, for work that can wind down by itself (a node
 * leaving its federation; it then calls `exitIfStopped`); otherwise, and
 * on a second signal, the process exits with 130 / 143 as soon as no atomic
 * write is under way (store/atomic.ts), so the file being written is
 * finished and the folder stays whole and resumable.
 */
import { whenNoWriteInFlight } from '../store/atomic.js';
import { exitCodes } from './exit-codes.js';

export interface StopSignals {
  /** Aborted by the first SIGINT or SIGTERM; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /**
   * If a signal came, exits with its status once no write is under way,
   * never resolving meanwhile (call when the wound-down work has returned).
   */
  exitIfStopped(): Promise<void>;
  /** Stops listening (the command is done). */
  dispose(): void;
}

export interface StopOptions {
  /** Tells the person what happens. */
  log: (line: string) => void;
  /**
   * What the owner does on `signal` before calling exitIfStopped, in words
   * ('leaving the federation'); without it the first signal exits.
   */
  windsDown?: string;
}

function statusOf(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? exitCodes.interrupted : exitCodes.terminated;
}

function exitAfterWrites(signal: NodeJS.Signals): void {
  whenNoWriteInFlight(() => process.exit(statusOf(signal)));
}

/**
 * A closed standard output (`fedmed info | head -3`) ends the process
 * quietly with 141 once no write is under way, as a tool that SIGPIPE ends
 * (Node ignores SIGPIPE and would throw EPIPE from the next console.log).
 */
export function exitWhenOutputCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    whenNoWriteInFlight(() => process.exit(exitCodes.brokenPipe));
  });
}

export function handleStopSignals(options: StopOptions): StopSignals {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted || !options.windsDown) {
      options.log(`${signal}: stopping once the file being written is complete`);
      exitAfterWrites(signal);
    } else options.log(`${signal}: ${options.windsDown} (${signal} again stops at once)`);
    stop.abort(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: stop.signal,
    async exitIfStopped() {
      if (stop.signal.aborted) await new Promise<never>(() => exitAfterWrites(stop.signal.reason as NodeJS.Signals));
    },
    dispose() {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
