/**
 * What the engine needs from the host that differs between Node and a
 * browser. The browser's versions are the defaults; Node's entry points
 * install theirs with setPlatform() (see platform/node.ts), so the engine
 * itself imports no Node-only module.
 */

/** The host side of a worker thread: Node's worker_threads.Worker or a browser Worker. */
export interface KernelWorker {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  /** Lets the host exit while the worker lives (Node's unref; nothing in a browser). */
  detach(): void;
  terminate(): void;
}

export interface Platform {
  /** The WebGPU entry point, or null when there is none. */
  gpu(): Promise<GPU | null>;
  /** Logical processors available to worker threads. */
  cores(): number;
  /** The compiled WebAssembly kernels, dist/wasm/fedmed.wasm. */
  wasmModule(): Promise<WebAssembly.Module>;
  /**
   * A new worker running serveKernels (engine/backends/wasm/worker_loop.ts),
   * which starts when the worker receives its WorkerInit message.
   */
  startKernelWorker(): KernelWorker;
}

/** Where a page finds the kernels: next to the engine's build, at dist/wasm/fedmed.wasm. */
const wasmUrl = new URL('../wasm/fedmed.wasm', import.meta.url);

const browserPlatform: Platform = {
  gpu: async () => (typeof navigator !== 'undefined' && 'gpu' in navigator ? navigator.gpu : null),
  cores: () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1),
  wasmModule: () => WebAssembly.compileStreaming(fetch(wasmUrl)),
  startKernelWorker() {
    const worker = new Worker(new URL('./backends/wasm/worker.js', import.meta.url), { type: 'module' });
    return {
      postMessage: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.addEventListener('message', (e) => listener(e.data)),
      onError: (listener) => worker.addEventListener('error', (e) => listener(new Error(e.message))),
      detach: () => {},
      terminate: () => worker.terminate(),
    };
  },
};

let current: Platform = browserPlatform;

export function setPlatform(p: Platform): void {
  current = p;
}

export function platform(): Platform {
  return current;
}
