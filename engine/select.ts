/** Switching the engine's backend. Tensors stay on the backend that made them. */
import type { Backend, MemoryInfo } from './backend.js';
import { createAutoBackend, createBackend, type BackendChoice, type BackendOptions } from './backends/index.js';
import { state } from './state.js';

/**
 * Makes `name` the current backend ('auto': webgpu, else wasm, else js) and
 * returns it. Asking for the kind already current keeps that instance, so
 * the tensors made on it stay usable; a wasm thread count asks for the
 * backend with that many threads.
 */
export async function setBackend(name: BackendChoice, options: BackendOptions = {}): Promise<Backend> {
  const explicit = options.threads !== undefined;
  if (name === 'auto') {
    const { backend, reason } = await createAutoBackend(options);
    lastAutoReason = reason;
    if (explicit || backend.name !== state.backend.name) state.backend = backend;
  } else if (explicit || state.backend.name !== name) {
    state.backend = await createBackend(name, options);
  }
  return state.backend;
}

let lastAutoReason = '';

/** Why the last setBackend('auto') picked what it picked. */
export function autoReason(): string {
  return lastAutoReason;
}

/** Makes an existing backend object current: a profiling wrapper, an instance configured by hand. */
export function useBackend(backend: Backend): Backend {
  state.backend = backend;
  return backend;
}

export function getBackend(): Backend {
  return state.backend;
}

export interface EngineMemory extends MemoryInfo {
  /** Tensor objects not yet disposed. */
  tensors: number;
}

export function memory(): EngineMemory {
  return { tensors: state.liveTensors, ...state.backend.memory() };
}
