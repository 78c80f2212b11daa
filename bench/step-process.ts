/**
 * A training step in a child process, driven one step at a time, so that
 * its steps can alternate with another side's (bench/paired.ts). The child
 * reads JSON lines on stdin and answers each with one JSON line on stdout:
 * {"setup": {...}} with {"ready": true, "describe": "..."}, {"step": true}
 * with {"ms": n, "cpuMs": n} (wall time, and the child's CPU time over all
 * its threads), and {"error": "..."} when it cannot. bench/step-server.ts
 * serves a fedmed build, bench/torch_step.py PyTorch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TimedSide } from './paired.js';

/**
 * What a step's time is: its wall time, or the child's CPU time (all
 * threads), which another process's load moves far less on a shared
 * machine, but which counts a spinning thread's waits and not a sleeping one's.
 */
export type StepClock = 'wall' | 'cpu';

export class StepProcess implements TimedSide {
  private readonly replies: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private readonly stderr: string[] = [];
  private exited = false;
  /** What the child said it runs, from its setup reply. */
  describe = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly what: string,
    private readonly clock: StepClock,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return; // a library's own output
      if (this.waiting) this.take(line);
      else this.replies.push(line);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    child.stdin!.on('error', () => {}); // a child gone before a write: reported by the request waiting for its answer
    child.on('close', () => {
      this.exited = true;
      this.take(null);
    });
    child.on('error', (e) => {
      this.stderr.push(e.message);
      this.exited = true;
      this.take(null);
    });
  }

  /** Starts `command args` and sends it `setup`; resolves once it is ready to step, each step timed by `clock`. */
  static async start(command: string, args: readonly string[], setup: object, what: string, clock: StepClock = 'wall'): Promise<StepProcess> {
    const p = new StepProcess(spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] }), what, clock);
    try {
      const reply = await p.request({ setup });
      p.describe = String(reply.describe ?? '');
      return p;
    } catch (e) {
      p.close();
      throw e;
    }
  }

  async step(): Promise<number> {
    const reply = await this.request({ step: true });
    const ms = reply[this.clock === 'cpu' ? 'cpuMs' : 'ms'];
    if (typeof ms !== 'number') throw new Error(`${this.what}: a step answered ${JSON.stringify(reply)}`);
    return ms;
  }

  /** Ends the child (its stdin closes; it exits when it reads the end). */
  close(): void {
    this.child.stdin!.end();
  }

  private take(line: string | null): void {
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.(line);
  }

  private async request(message: object): Promise<Record<string, unknown>> {
    if (this.exited) throw this.failure();
    this.child.stdin!.write(`${JSON.stringify(message)}\n`);
    const line = this.replies.shift() ?? (await new Promise<string | null>((resolve) => (this.waiting = resolve)));
    if (line === null) throw this.failure();
    const reply = JSON.parse(line) as Record<string, unknown>;
    if (typeof reply.error === 'string') throw new Error(`${this.what}: ${reply.error}`);
    return reply;
  }

  private failure(): Error {
    const last = this.stderr.filter((l) => l.trim() && !/^Warning:/.test(l)).at(-1) ?? 'no message';
    return new Error(`${this.what} exited: ${last}`);
  }
}
