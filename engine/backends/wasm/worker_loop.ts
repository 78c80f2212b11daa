/**
 * A kernel thread: instantiates the kernels on the shared memory, says it is
 * ready, then waits on the control block (asleep, see workerSpinMs) until the
 * main thread posts a job (protocol.ts), and works on it if it can still join. Errors are left in the control
 * block for the main thread, which is waiting synchronously and cannot take
 * messages.
 */
import { Control, drainJob, joinJob, kernelTable, messageSlots, waitForChange, workerSpinMs, type WorkerInit } from './protocol.js';

export type { WorkerInit } from './protocol.js';

export function serveKernels(init: WorkerInit, post: (message: unknown) => void): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const kernels = kernelTable(instance.exports);
  const control = new Int32Array(init.control);
  let seen = Atomics.load(control, Control.generation);
  post('ready');
  for (;;) {
    waitForChange(control, Control.generation, seen, true, workerSpinMs);
    const generation = Atomics.load(control, Control.generation);
    if (generation === seen) continue;
    seen = generation;
    if (Atomics.load(control, Control.quit)) return;
    if (!joinJob(control, generation)) continue;
    try {
      drainJob(control, kernels, init.thread);
    } catch (e) {
      reportFailure(control, init.thread, e);
    }
    Atomics.add(control, Control.done, 1);
    Atomics.notify(control, Control.done);
  }
}

function reportFailure(control: Int32Array, thread: number, e: unknown): void {
  if (Atomics.compareExchange(control, Control.failed, 0, thread + 1) !== 0) return;
  const text = (e instanceof Error ? e.message : String(e)).slice(0, messageSlots - 1);
  for (let i = 0; i < text.length; i++) control[Control.message + i] = text.charCodeAt(i);
  control[Control.message + text.length] = 0;
}
