/**
 * Progress for long jobs. On a terminal one status line is redrawn in place
 * (at most ~10 times a second); elsewhere (CI logs, pipes) a plain line is
 * printed at most every `plainEverySeconds`, and always for the last step.
 * Lines written with `log` or `warn` never collide with the status line. The status
 * goes to stderr and the logged lines (results) to stdout, so that stdout
 * pipes cleanly.
 */
export interface ProgressOptions {
  /** Where the status line goes (default stderr). */
  stream?: NodeJS.WriteStream;
  /** Where `log` lines go (default stdout). */
  out?: NodeJS.WriteStream;
  plainEverySeconds?: number;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly plainEvery: number;
  private lastDraw = 0;
  private statusShown = false;
  /** The first update: rate and ETA count from it, so setup (data, workers) before the first step does not skew them. */
  private first: { at: number; done: number; units: number } | null = null;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.out = options.out ?? process.stdout;
    this.tty = Boolean(this.stream.isTTY);
    this.plainEvery = (options.plainEverySeconds ?? 10) * 1000;
  }

  /**
   * Reports that `done` of `total` units of work are finished; `label` says
   * where (round, client, epoch, step, losses). Adds the rate and the ETA.
   */
  update(done: number, total: number, label: string, unit = 'img', unitsPerStep = 1): void {
    const now = Date.now();
    this.first ??= { at: now, done, units: 0 };
    this.first.units += done > this.first.done ? unitsPerStep : 0;
    const last = done >= total;
    if (!last && now - this.lastDraw < (this.tty ? 100 : this.plainEvery)) return;
    this.lastDraw = now;
    const elapsed = (now - this.first.at) / 1000;
    const stepsTimed = done - this.first.done;
    const rate = elapsed > 0 && stepsTimed > 0 ? this.first.units / elapsed : NaN;
    const eta = stepsTimed > 0 ? (elapsed / stepsTimed) * (total - done) : NaN;
    const line = `${label}  ${Number.isFinite(rate) ? rate.toFixed(1) : '--'} ${unit}/s  ETA ${formatDuration(eta)}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.statusShown = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Prints a result line (stdout) above the status line. */
  log(line: string): void {
    this.above(this.out, line);
  }

  /** Prints a notice (stderr: a signal, a warning) above the status line. */
  warn(line: string): void {
    this.above(this.stream, line);
  }

  private above(stream: NodeJS.WriteStream, line: string): void {
    if (this.statusShown) this.stream.write('\r\x1b[2K');
    stream.write(`${line}\n`);
    this.statusShown = false;
  }

  /** Ends the status line so that later output starts on a fresh line. */
  done(): void {
    if (this.statusShown) this.stream.write('\n');
    this.statusShown = false;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
