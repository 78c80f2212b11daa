/** The flags every computing command shares: where to compute, and the wasm backend's threads. */
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
