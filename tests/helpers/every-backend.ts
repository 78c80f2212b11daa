/**
 * js, wasm (2 threads) and webgpu (skipped without an adapter unless
 * FEDMED_REQUIRE_WEBGPU=1), for tests that run the same engine code on each,
 * and a test that runs with one of them installed.
 */
import { test } from 'uvu';
import { getBackend, useBackend, type Backend } from '../../engine/index.js';
import { createBackend } from '../../engine/backends/index.js';
import { installNodePlatform } from '../../platform/node.js';
import { webgpuForTests } from '../engine/backends/webgpu-setup.js';

installNodePlatform();
/** The oracle: the backend installed when the tests start. */
export const js = getBackend();
const gpu = await webgpuForTests();
export const everyBackend: readonly Backend[] = [js, await createBackend('wasm', { threads: 2 }), ...(gpu ? [gpu] : [])];

/** Runs `fn` with `backend` installed, putting js back after. */
export async function withBackend<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  useBackend(backend);
  try {
    return await fn();
  } finally {
    useBackend(js);
  }
}

/** A test named for its backend, run with that backend installed. */
export function testOn(backend: Backend, name: string, fn: () => Promise<void>): void {
  test(`${backend.name}: ${name}`, () => withBackend(backend, fn));
}
