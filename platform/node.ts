/**
 * The Node.js platform adapter: WebGPU from the `webgpu` package (Dawn),
 * processor count from node:os. Installed by Node entry points (the CLI,
 * tests, benchmarks); the engine itself never imports it.
 */
import os from 'node:os';
import { setPlatform, type Platform } from '../engine/platform.js';

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

export const nodePlatform: Platform = {
  gpu: dawnGpu,
  cores: () => os.availableParallelism?.() ?? os.cpus().length,
};

export function installNodePlatform(): void {
  setPlatform(nodePlatform);
}
