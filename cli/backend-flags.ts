/** The flags computing commands share: where to compute, the wasm backend's threads, and training's worker threads. */
import { autoReason, type Backend } from '../engine/index.js';
import type { FlagSpec } from './args.js';

export const backendFlag = {
  type: 'string',
  help: 'where to compute',
  default: 'auto',
  choices: ['auto', 'webgpu', 'wasm', 'js'], // fastest first
} as const satisfies FlagSpec;

export const threadsFlag = {
  type: 'int',
  help: 'wasm: threads, the calling one included (default: all cores)',
  placeholder: 'N',
  min: 1,
} as const satisfies FlagSpec;

export const workersFlag = {
  type: 'string',
  help: "federated runs: worker threads that train the clients at once, each client in one of them for the whole run (auto: min(clients, cores) on wasm and js; 1, in turn in one thread, for webgpu, one GPU device per process, and for a centralized run)",
  default: 'auto',
  placeholder: 'N|auto',
} as const satisfies FlagSpec;

/** `backend: wasm - ...`, with why auto chose it when `requested` was auto: the line every computing command prints. */
export function backendLine(backend: Backend, requested: string): string {
  return `backend: ${backend.name} - ${backend.describe()}${requested === 'auto' ? ` (auto: ${autoReason()})` : ''}`;
}
