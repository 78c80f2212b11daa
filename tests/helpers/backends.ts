/**
 * The backends the tests run on, with one rule for a backend that cannot
 * start here and one rule for comparing its numbers with the js oracle's.
 *
 * js and wasm (2 threads) always start. webgpu needs an adapter (lavapipe
 * without a GPU): where there is none its tests are registered as skips,
 * with one line saying why, and FEDMED_REQUIRE_WEBGPU=1 (CI sets it) turns
 * that into a failure. The comparison rule itself is eval/closeness.ts, which
 * the browser test page shares.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendUnavailableError, getBackend, platform, useBackend, type Backend, type Tensor } from '../../engine/index.js';
import { createBackend } from '../../engine/backends/index.js';
import { createWebGpuBackend, type WebGpuBackend } from '../../engine/backends/webgpu/index.js';
import { installNodePlatform } from '../../platform/node.js';
import { closeness, RTOL } from '../../eval/closeness.js';

installNodePlatform();

/** A backend by the name its tests carry, or why it is missing here. */
export type TestBackend = { label: string; backend: Backend } | { label: string; backend: null; missing: string };

/** A fresh webgpu backend (its own device), or why there is none; throws instead when FEDMED_REQUIRE_WEBGPU=1. */
export async function startWebGpu(): Promise<WebGpuBackend | string> {
  try {
    const gpu = await platform().gpu();
    if (!gpu) throw new BackendUnavailableError('the webgpu package did not load');
    return await createWebGpuBackend(gpu);
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    if (process.env.FEDMED_REQUIRE_WEBGPU === '1') throw new Error(`FEDMED_REQUIRE_WEBGPU=1, but no WebGPU: ${e.message}`);
    return e.message;
  }
}

/** The oracle: the backend installed when the tests start. */
export const js = getBackend();
const gpu = await startWebGpu();
if (typeof gpu === 'string') console.log(`webgpu tests skipped: ${gpu}`);
/** The webgpu backend shared by the suites, or null where there is none. */
export const webgpu: WebGpuBackend | null = typeof gpu === 'string' ? null : gpu;

export const everyBackend: readonly TestBackend[] = [
  { label: 'js', backend: js },
  { label: 'wasm', backend: await createBackend('wasm', { threads: 2 }) },
  typeof gpu === 'string' ? { label: 'webgpu', backend: null, missing: gpu } : { label: 'webgpu', backend: gpu },
];

/** Runs `fn` with `backend` installed, putting back the one installed before. */
export async function withBackend<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  const previous = getBackend();
  useBackend(backend);
  try {
    return await fn();
  } finally {
    useBackend(previous);
  }
}

/** A test named `<label>: <name>` that runs with that backend installed, or a skip where it is missing. */
export function testOn(on: TestBackend, name: string, fn: (backend: Backend) => Promise<void> | void): void {
  const full = `${on.label}: ${name}`;
  const backend = on.backend;
  if (backend) test(full, () => withBackend(backend, async () => fn(backend)));
  else test.skip(full);
}

export { RTOL } from '../../eval/closeness.js';

/** The one comparison with the js oracle (eval/closeness.ts), as an assertion naming the worst element. */
export function assertClose(actual: Float32Array, expected: Float32Array, what: string, rtol = RTOL): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  const { worst, index, rms } = closeness(actual, expected);
  if (!(worst <= rtol)) assert.unreachable(`${what}: element ${index} is ${actual[index]}, expected ${expected[index]} (rms ${rms.toPrecision(3)}, rtol ${rtol})`);
}

/** assertClose on two tensors' values, shapes first. */
export async function assertTensorsClose(actual: Tensor, expected: Tensor, what: string, rtol = RTOL): Promise<void> {
  assert.equal(actual.shape, expected.shape, `${what}: shape`);
  assertClose(await actual.data(), await expected.data(), what, rtol);
}
