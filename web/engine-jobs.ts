/**
 * One engine job at a time on the page. The demo's training and a scan's
 * translation share the engine's one current backend: a job started, or a
 * backend chosen, while another runs would switch the backend under that
 * job's tensors and stop it. Listeners hear when a job starts and ends, to
 * disable the controls that would start another or choose a backend.
 * DOM-free, so that Node tests it.
 */
export type JobListener = (running: string | null) => void;

export class EngineJobs {
  private current: string | null = null;
  private readonly listeners: JobListener[] = [];

  /** The running job's name ('the training'), or null. */
  get running(): string | null {
    return this.current;
  }

  /** Calls `listener` now and whenever a job starts or ends. */
  listen(listener: JobListener): void {
    this.listeners.push(listener);
    listener(this.current);
  }

  /** Runs `job` as the one job; while another runs, an error says which, and nothing starts. */
  async run<T>(name: string, job: () => Promise<T>): Promise<T> {
    if (this.current !== null) throw new Error(`${this.current} is running: ${name} can start when it ends`);
    this.set(name);
    try {
      return await job();
    } finally {
      this.set(null);
    }
  }

  private set(running: string | null): void {
    this.current = running;
    for (const listener of this.listeners) listener(running);
  }
}
