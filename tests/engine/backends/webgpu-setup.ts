/**
 * Shared by the webgpu tests: the backend (or a visible skip when this
 * machine has no adapter, which FEDMED_REQUIRE_WEBGPU=1 turns into a failure,
 * as CI sets it), random inputs, and the parity comparison against js.
 */
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { installNodePlatform } from '../../../platform/node.js';
import { BackendUnavailableError, platform, Rng, type Backend } from '../../../engine/index.js';
import { createWebGpuBackend, type WebGpuBackend } from '../../../engine/backends/webgpu/index.js';
import { state } from '../../../engine/state.js';

/** A fresh webgpu backend (its own device), or null when there is no adapter and CI does not insist. */
export async function webgpuForTests(): Promise<WebGpuBackend | null> {
  installNodePlatform();
  try {
    const gpu = await platform().gpu();
    if (!gpu) throw new BackendUnavailableError('the webgpu package did not load');
    return await createWebGpuBackend(gpu);
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    if (process.env.FEDMED_REQUIRE_WEBGPU === '1') throw new Error(`FEDMED_REQUIRE_WEBGPU=1, but no WebGPU: ${e.message}`);
    console.log(`webgpu tests skipped: ${e.message}`);
    return null;
  }
}

/** A suite whose tests get the backend, each a visible skip when there is none. */
export function gpuSuite(name: string, gpu: WebGpuBackend | null): { test: (name: string, fn: (gpu: WebGpuBackend) => Promise<void> | void) => void; run: () => void } {
  const s: Test = suite(name);
  return {
    test: (testName, fn) => (gpu ? s(testName, () => fn(gpu)) : s.skip(testName)),
    run: () => s.run(),
  };
}

/** `count` values drawn from the seeded generator: normal, or uniform in [low, high). */
export function randomValues(rng: Rng, count: number, range?: [number, number]): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = range ? range[0] + (range[1] - range[0]) * rng.uniform() : rng.normal();
  return out;
}

/**
 * Asserts |actual - expected| <= rtol * (|expected| + max |expected|) element
 * by element: within rtol of each value, or of the tensor's largest one.
 * Float32 rounding follows the magnitude of the terms summed, so a gradient
 * element that cancels to near zero keeps an error on the tensor's scale.
 */
export function assertClose(actual: Float32Array, expected: Float32Array, rtol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (!(Math.abs(a - e) <= rtol * (Math.abs(e) + scale))) {
      assert.unreachable(`${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, largest ${scale})`);
    }
  }
}

/**
 * Runs one kernel call on a backend: uploads `inputs`, allocates an output of
 * `outputSize`, calls `kernel`, reads the output back and frees everything.
 */
export async function runKernel(
  backend: Backend,
  inputs: readonly Float32Array[],
  outputSize: number,
  kernel: (backend: Backend, inputs: ReturnType<Backend['alloc']>[], output: ReturnType<Backend['alloc']>) => void,
): Promise<Float32Array> {
  const handles = inputs.map((values) => {
    const h = backend.alloc(values.length);
    backend.write(h, values);
    return h;
  });
  const output = backend.alloc(outputSize);
  kernel(backend, handles, output);
  const values = await backend.read(output);
  for (const h of [...handles, output]) backend.free(h);
  return values;
}

/** Runs fn with `backend` as the engine's current backend. */
export async function onBackend<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  const previous = state.backend;
  state.backend = backend;
  try {
    return await fn();
  } finally {
    state.backend = previous;
  }
}
