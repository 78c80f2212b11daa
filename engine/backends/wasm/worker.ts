/** The browser entry point of a WebAssembly kernel thread: a module worker (see worker_loop.ts). */
import { serveKernels, type WorkerInit } from './worker_loop.js';

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<WorkerInit>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (e) => {
  scope.onmessage = null;
  serveKernels(e.data, (message) => scope.postMessage(message));
};
