/** The flags every computing command shares: where to compute, and the wasm backend's threads. */
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
} as const satisfies FlagSpec;

/** `backend: wasm - ...`, with why auto chose it when `requested` was auto: the line every computing command prints. */
export function backendLine(backend: Backend, requested: string): string {
  return `backend: ${backend.name} - ${backend.describe()}${requested === 'auto' ? ` (auto: ${autoReason()})` : ''}`;
}
