/**
 * The job protocol between the main thread and the kernel threads, over a
 * small shared Int32Array (the control block). One job runs at a time: the
 * main thread writes the kernel, its parameter block and the item count,
 * opens the job's `entry`, bumps `generation` and wakes the workers; every
 * thread, the main one included, then takes items `grain` at a time from the
 * shared `next` counter until none are left. A worker takes part only if it
 * joins (joinJob) before the main thread, out of items, closes the entry
 * (closeJob); each worker that joined adds one to `done`, and the main thread
 * waits for those alone. So a worker that the OS has not scheduled yet (a
 * loaded machine, a sleeping thread's wake-up) never holds up a job the main
 * thread has already finished: it finds the job closed and skips it.
 */

/** Kernels that take (params, begin, end, thread) and may run on several threads. */
export const parallelKernels = [
  'unary', 'activationBackward', 'binary', 'reduceSum', 'sumSplits', 'copy',
  'avgPool2d', 'avgPool2dBackward', 'upsampleNearest', 'upsampleNearestBackward', 'padReflect', 'padReflectBackward',
  'relayout', 'packRows', 'filterDot', 'interleavePhases', 'packA', 'gemm', 'adam', 'randomNormal', 'instanceNorm', 'instanceNormBackward',
  'sumSquaresPerSample', 'clippedSumWithNoise', 'pointLoss', 'pointLossBackward',
] as const;

export type ParallelKernel = (typeof parallelKernels)[number];

export type KernelFunction = (params: number, begin: number, end: number, thread: number) => void;

/** Slots of the control block. */
export const Control = {
  generation: 0,
  kernel: 1,
  params: 2,
  items: 3,
  grain: 4,
  next: 5,
  done: 6,
  /** The thread index + 1 of the first worker that failed, else 0. */
  failed: 7,
  quit: 8,
  /** The open job: (generation & stampMask) << 8, plus closedBit once closed, plus the workers that joined. */
  entry: 9,
  /** Where a failing worker leaves its error message, one UTF-16 unit per slot. */
  message: 16,
} as const;

export const messageSlots = 240;
export const controlInts = Control.message + messageSlots;

/** What a worker is sent once, to start. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  thread: number;
}

/**
 * How long the calling thread, waiting for the workers that joined a job,
 * spins before it sleeps in Atomics.wait: they are at work and finish soon,
 * and waking a sleeper takes 15-20 microseconds, longer than a 64K-element
 * kernel runs.
 */
export const callerSpinMs = 0.25;

/**
 * How long a worker spins for the next job before it sleeps. None: on a
 * shared machine a spinning worker takes a core from the calling thread
 * itself, and a worker that wakes late now only misses a job (joinJob). A
 * 0.25 ms spin took 4% off a 128x128 CycleGAN step on a quiet machine, but
 * at load 3.5 on 2 cores dropping it gave 0.86x (64x64 width 8 DP) and
 * 0.91x (128x128 width 32) step times.
 */
export const workerSpinMs = 0;

/**
 * Returns once control[slot] differs from `value`: spinning for spinMs, then
 * (where `canBlock`) sleeping in Atomics.wait; where it cannot block, spinning on.
 */
export function waitForChange(control: Int32Array, slot: number, value: number, canBlock: boolean, spinMs: number): void {
  const until = performance.now() + spinMs;
  for (let i = 0; Atomics.load(control, slot) === value; i++) {
    if ((i & 63) === 63 && canBlock && performance.now() > until) {
      Atomics.wait(control, slot, value);
      return;
    }
  }
}

const stampMask = 0x7fffff;
const closedBit = 128;
/** The most workers the entry slot counts. */
export const maxWorkers = closedBit - 1;

/** The entry slot of generation `generation`'s job, open, nobody joined. */
export function openEntry(generation: number): number {
  return (generation & stampMask) << 8;
}

/** Whether this worker joined generation `generation`'s job: false once it is closed or a later job is posted. */
export function joinJob(control: Int32Array, generation: number): boolean {
  const open = openEntry(generation);
  for (;;) {
    const entry = Atomics.load(control, Control.entry);
    if ((entry & ~0xff) !== open || entry & closedBit) return false;
    if (Atomics.compareExchange(control, Control.entry, entry, entry + 1) === entry) return true;
  }
}

/** Closes the current job to late workers; returns how many joined it. */
export function closeJob(control: Int32Array): number {
  return Atomics.or(control, Control.entry, closedBit) & (closedBit - 1);
}

/** Takes items of the current job until none are left. */
export function drainJob(control: Int32Array, kernels: readonly KernelFunction[], thread: number): void {
  const kernel = kernels[Atomics.load(control, Control.kernel)]!;
  const params = Atomics.load(control, Control.params);
  const items = Atomics.load(control, Control.items);
  const grain = Atomics.load(control, Control.grain);
  for (;;) {
    const begin = Atomics.add(control, Control.next, grain);
    if (begin >= items) return;
    kernel(params, begin, Math.min(items, begin + grain), thread);
  }
}

/** The kernel functions of an instance, indexed like parallelKernels. */
export function kernelTable(exports: WebAssembly.Exports): KernelFunction[] {
  return parallelKernels.map((name) => {
    const f = exports[name];
    if (typeof f !== 'function') throw new Error(`wasm kernels: the module has no export '${name}'; rebuild with npm run build:wasm`);
    return f as KernelFunction;
  });
}
