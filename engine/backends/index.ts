/**
 * Choosing a backend. Each is registered here explicitly; the heavy ones are
 * loaded with import() only when asked for, so a page that never uses WebGPU
 * never loads its code.
 */
import { BackendUnavailableError, type Backend, type BackendName } from '../backend.js';
import { JsBackend } from './js/index.js';
import { platform } from '../platform.js';

export type BackendChoice = BackendName | 'auto';

export interface BackendOptions {
  /** wasm: threads that run kernels, the calling one included (default: all cores). */
  threads?: number;
  /** webgpu: refuse software adapters (lavapipe, SwiftShader), as 'auto' does. */
  hardwareOnly?: boolean;
}

export const backendNames: readonly BackendName[] = ['js', 'wasm', 'webgpu'];

export async function createBackend(name: BackendName, options: BackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'js':
      return new JsBackend();
    case 'wasm': {
      const { WasmBackend } = await import('./wasm/index.js');
      return WasmBackend.shared(options);
    }
    case 'webgpu': {
      const gpu = await platform().gpu();
      if (!gpu) throw new BackendUnavailableError('no WebGPU here (no navigator.gpu, or the webgpu package did not load)');
      const { createWebGpuBackend } = await import('./webgpu/index.js');
      return createWebGpuBackend(gpu, { hardwareOnly: options.hardwareOnly, noAdapterHint: platform().noAdapterHint });
    }
    default:
      return name satisfies never;
  }
}

/** webgpu when a hardware adapter exists, else wasm, else js; with the reason for the choice. */
export async function createAutoBackend(options: BackendOptions = {}): Promise<{ backend: Backend; reason: string }> {
  const reasons: string[] = [];
  for (const name of ['webgpu', 'wasm'] as const) {
    try {
      return { backend: await createBackend(name, { ...options, hardwareOnly: true }), reason: reasons.join('; ') || `${name} is available` };
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      reasons.push(`${name}: ${e.message}`);
    }
  }
  return { backend: new JsBackend(), reason: reasons.join('; ') };
}
