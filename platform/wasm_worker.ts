/** The Node entry point of a WebAssembly kernel thread (see engine/backends/wasm/worker_loop.ts). */
import { parentPort } from 'node:worker_threads';
import { serveKernels, type WorkerInit } from '../engine/backends/wasm/worker_loop.js';

parentPort!.once('message', (init: WorkerInit) => {
  serveKernels(init, (message) => parentPort!.postMessage(message));
});
