/**
 * The Node.js platform adapter: WebGPU from the `webgpu` package (Dawn),
 * processor count from node:os, the WebAssembly kernels from dist/wasm and
 * their worker threads from node:worker_threads. Installed by Node entry
 * points (the CLI, tests, benchmarks); the engine itself never imports it.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { hasRelaxedSimd, setPlatform, wasmFileName, type KernelWorker, type Platform } from '../engine/platform.js';
import { withStderrSilenced } from './stderr.js';

export interface NodePlatformOptions {
  /**
   * Let Dawn print its own warnings while it looks for an adapter (the
   * limits it "artificially reduced" on lavapipe, "Couldn't load Vulkan"
   * without a driver). Default false: they say nothing a user can act on,
   * and the engine's own error says when no adapter was found.
   */
  dawnWarnings?: boolean;
}

let gpuPromise: Promise<GPU | null> | null = null;
/** The installed platform's choice, read at each adapter request. */
let dawnWarnings = false;

/** Dawn's GPU object, created once; null when the package or a driver is missing. */
function dawnGpu(): Promise<GPU | null> {
  gpuPromise ??= import('webgpu')
    .then(({ create, globals }) => {
      Object.assign(globalThis, globals); // GPUBufferUsage and friends, as a browser defines them
      const gpu = create([]) as GPU;
      // Dawn enumerates the drivers (and warns) inside the synchronous part of requestAdapter.
      const requestAdapter = gpu.requestAdapter.bind(gpu);
      return Object.assign(gpu, { requestAdapter: (o?: GPURequestAdapterOptions) => (dawnWarnings ? requestAdapter(o) : withStderrSilenced(() => requestAdapter(o))) });
    })
    .catch(() => null);
  return gpuPromise;
}

/**
 * Relaxed SIMD (fused multiply-add), which V8 ships from Node 22 and has
 * behind a flag before: the flag is set here, before any kernels compile.
 * FEDMED_WASM_RELAXED=0 keeps the plain build (to compare the two).
 */
function relaxedSimd(): boolean {
  if (process.env.FEDMED_WASM_RELAXED === '0') return false;
  if (!hasRelaxedSimd()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return hasRelaxedSimd();
}

const modules = new Map<boolean, Promise<WebAssembly.Module>>();

/** One build of the kernels from dist/wasm (this file is dist/platform/node.js once built), compiled once. */
export function compileKernels(relaxed: boolean): Promise<WebAssembly.Module> {
  let m = modules.get(relaxed);
  if (!m) {
    m = readFile(new URL(`../wasm/${wasmFileName(relaxed)}`, import.meta.url)).then(
      (bytes) => WebAssembly.compile(bytes),
      (e: NodeJS.ErrnoException) => {
        modules.delete(relaxed);
        throw new Error(`cannot read the WebAssembly kernels (${e.code ?? e.message}); run npm run build:wasm`);
      },
    );
    modules.set(relaxed, m);
  }
  return m;
}

function startKernelWorker(): KernelWorker {
  const worker = new Worker(new URL('./wasm_worker.js', import.meta.url));
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onError: (listener) => worker.on('error', listener),
    // After the listeners: adding one refs the worker again.
    detach: () => void worker.unref(),
    terminate: () => void worker.terminate(),
  };
}

/** Node's platform; Dawn's warnings are silenced unless `options.dawnWarnings`. */
export function nodePlatform(options: NodePlatformOptions = {}): Platform {
  return {
    gpu: () => {
      dawnWarnings = options.dawnWarnings ?? false;
      return dawnGpu();
    },
    noAdapterHint: 'no GPU, or no Vulkan driver; on Debian, scripts/install-lavapipe.sh in the fedmed repository installs a software one',
    cores: () => os.availableParallelism?.() ?? os.cpus().length,
    wasmModule: () => compileKernels(relaxedSimd()),
    startKernelWorker,
  };
}

export function installNodePlatform(options: NodePlatformOptions = {}): void {
  setPlatform(nodePlatform(options));
}
