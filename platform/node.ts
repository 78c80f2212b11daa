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

let gpuPromise: Promise<GPU | null> | null = null;

/** Dawn's GPU object, created once; null when the package or a driver is missing. */
function dawnGpu(): Promise<GPU | null> {
  gpuPromise ??= import('webgpu')
    .then(({ create, globals }) => {
      Object.assign(globalThis, globals); // GPUBufferUsage and friends, as a browser defines them
      return create([]) as GPU;
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

export const nodePlatform: Platform = {
  gpu: dawnGpu,
  cores: () => os.availableParallelism?.() ?? os.cpus().length,
  wasmModule: () => compileKernels(relaxedSimd()),
  startKernelWorker,
};

export function installNodePlatform(): void {
  setPlatform(nodePlatform);
}
