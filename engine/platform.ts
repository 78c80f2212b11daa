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
  /** Why a WebGPU entry point may offer no adapter here, and what to do about it (in an error's parentheses). */
  noAdapterHint: string;
  /** Logical processors available to worker threads. */
  cores(): number;
  /**
   * The compiled WebAssembly kernels: dist/wasm/fedmed.relaxed.wasm where
   * the engine has relaxed SIMD (fused multiply-add), else dist/wasm/fedmed.wasm.
   */
  wasmModule(): Promise<WebAssembly.Module>;
  /**
   * A new worker running serveKernels (engine/backends/wasm/worker_loop.ts),
   * which starts when the worker receives its WorkerInit message.
   */
  startKernelWorker(): KernelWorker;
}

/** A module of one function that uses f32x4.relaxed_madd: it validates where relaxed SIMD is on. */
const relaxedSimdProbe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128, v128, v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd
]);

export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(relaxedSimdProbe);
}

/** The kernels' file in dist/wasm: the relaxed-SIMD build where this engine can run it. */
export function wasmFileName(relaxed = hasRelaxedSimd()): string {
  return relaxed ? 'fedmed.relaxed.wasm' : 'fedmed.wasm';
}

const browserPlatform: Platform = {
  gpu: async () => (typeof navigator !== 'undefined' && 'gpu' in navigator ? navigator.gpu : null),
  noAdapterHint: 'no GPU, or WebGPU is turned off in this browser',
  cores: () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1),
  // Next to the engine's build: dist/engine/platform.js -> dist/wasm/.
  wasmModule: () => WebAssembly.compileStreaming(fetch(new URL(`../wasm/${wasmFileName()}`, import.meta.url))),
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
