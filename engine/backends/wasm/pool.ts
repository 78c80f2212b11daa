/**
 * The main thread's side of the kernel threads (protocol.ts). `run` is
 * synchronous, as the Backend interface is: the main thread works on the job
 * too, then waits for the workers: spinning briefly, then, in Node and in a
 * browser worker, sleeping with Atomics.wait; on a browser's main thread,
 * where Atomics.wait throws, it spins on (run the engine in a worker there).
 */
import { platform, type KernelWorker } from '../../platform.js';
import { callerSpinMs, Control, closeJob, controlInts, drainJob, maxWorkers, openEntry, parallelKernels, waitForChange, type KernelFunction, type ParallelKernel, type WorkerInit } from './protocol.js';

/** Whether this thread may block in Atomics.wait. */
function threadCanBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly canBlock = threadCanBlock();
  private stopped = false;

  private constructor(
    private readonly kernels: readonly KernelFunction[],
    private readonly workers: KernelWorker[],
    control: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(control);
  }

  /** Starts threads - 1 workers on `memory` and waits until each has its instance. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: readonly KernelFunction[], threads: number): Promise<ThreadPool> {
    if (threads - 1 > maxWorkers) throw new Error(`wasm backend: at most ${maxWorkers + 1} threads, got ${threads}`);
    const control = new SharedArrayBuffer(controlInts * 4);
    const workers: KernelWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let thread = 1; thread < threads; thread++) {
      const worker = platform().startKernelWorker();
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.onMessage((m) => (m === 'ready' ? resolve() : reject(new Error(`wasm kernel thread ${thread}: ${String(m)}`))));
          worker.onError(reject);
        }),
      );
      const init: WorkerInit = { module, memory, control, thread };
      worker.postMessage(init);
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    for (const w of workers) w.detach(); // idle kernel threads must not keep the process alive
    return new ThreadPool(kernels, workers, control);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs items [0, items) of `kernel` and returns when all are done. Small
   * jobs (`parallel` false, or a single item) stay on this thread.
   */
  run(kernel: ParallelKernel, params: number, items: number, grain = 1, parallel = true): void {
    if (items <= 0) return;
    const index = parallelKernels.indexOf(kernel);
    if (!parallel || this.workers.length === 0 || items <= grain) {
      this.kernels[index]!(params, 0, items, 0);
      return;
    }
    if (this.stopped) throw new Error('wasm backend: used after its threads were stopped');
    const c = this.control;
    Atomics.store(c, Control.kernel, index);
    Atomics.store(c, Control.params, params);
    Atomics.store(c, Control.items, items);
    Atomics.store(c, Control.grain, grain);
    Atomics.store(c, Control.next, 0);
    Atomics.store(c, Control.done, 0);
    // Only this thread writes generation (and stop, after the last job).
    const generation = (Atomics.load(c, Control.generation) + 1) | 0;
    Atomics.store(c, Control.entry, openEntry(generation));
    Atomics.store(c, Control.generation, generation);
    Atomics.notify(c, Control.generation);
    let failure: unknown = null;
    try {
      drainJob(c, this.kernels, 0);
    } catch (e) {
      failure = e; // still wait: the workers that joined must finish before anything is freed
    }
    this.waitForWorkers(closeJob(c));
    const failed = Atomics.load(c, Control.failed);
    Atomics.store(c, Control.failed, 0);
    if (failure) throw failure;
    if (failed) throw new Error(`wasm kernel ${kernel} failed on thread ${failed - 1}: ${this.failureMessage()}`);
  }

  private waitForWorkers(workers: number): void {
    const c = this.control;
    for (;;) {
      const done = Atomics.load(c, Control.done);
      if (done >= workers) return;
      waitForChange(c, Control.done, done, this.canBlock, callerSpinMs);
    }
  }

  private failureMessage(): string {
    let text = '';
    for (let i = Control.message; i < controlInts && this.control[i]; i++) text += String.fromCharCode(this.control[i]!);
    return text;
  }

  /** Ends the worker threads. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, Control.quit, 1);
    Atomics.add(this.control, Control.generation, 1);
    Atomics.notify(this.control, Control.generation);
    for (const w of this.workers) w.terminate();
  }
}
