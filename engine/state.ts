/**
 * The engine's mutable state: the current backend, the stack of tidy scopes,
 * live-tensor counts and whether the tape is recording.
 */
import type { Backend } from './backend.js';
import { JsBackend } from './backends/js/index.js';

export interface Scope {
  tensors: Set<ScopedTensor>;
}

/** What a scope needs of a tensor: to free it. */
export interface ScopedTensor {
  dispose(): void;
}

export const state = {
  backend: new JsBackend() as Backend,
  scopes: [] as Scope[],
  liveTensors: 0,
  /** False inside noGrad: ops record nothing. */
  recording: true,
  /** The batch size while a per-sample backward pass runs, else 0. */
  perSampleBatch: 0,
};

/** Adds a new tensor to the innermost scope, if any. */
export function track(t: ScopedTensor): void {
  state.scopes.at(-1)?.tensors.add(t);
}

/** Removes a tensor from every scope, so that it outlives them. */
export function untrack(t: ScopedTensor): void {
  for (const s of state.scopes) s.tensors.delete(t);
}
