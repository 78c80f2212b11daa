/**
 * The Node.js platform adapter: WebGPU from the `webgpu` package (Dawn),
 * processor count from node:os, the WebAssembly kernels from dist/wasm and
 * their worker threads from node:worker_threads. Installed by Node entry
 * points (the CLI, tests, benchmarks); the engine itself never imports it.
 */
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { setPlatform, type KernelWorker, type Platform } from '../engine/platform.js';

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

let modulePromise: Promise<WebAssembly.Module> | null = null;

/** dist/wasm/fedmed.wasm (this file is dist/platform/node.js once built), compiled once. */
function wasmModule(): Promise<WebAssembly.Module> {
  modulePromise ??= readFile(new URL('../wasm/fedmed.wasm', import.meta.url)).then(
    (bytes) => WebAssembly.compile(bytes),
    (e: NodeJS.ErrnoException) => {
      modulePromise = null;
      throw new Error(`cannot read the WebAssembly kernels (${e.code ?? e.message}); run npm run build:wasm`);
    },
  );
  return modulePromise;
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
  wasmModule,
  startKernelWorker,
};

export function installNodePlatform(): void {
  setPlatform(nodePlatform);
}
