/**
 * The kernel test table: each Backend kernel's cases written once (inputs,
 * geometry, the call) and run on every backend against the js oracle, with
 * one tolerance rule (assertClose in tests/helpers/backends.ts) and one rule
 * for a missing backend (a skip, or a failure under FEDMED_REQUIRE_WEBGPU=1).
 * The family files (conv.test.ts, elementwise.test.ts, ...) hold the cases.
 */
import { compileKernels } from '../../../platform/node.js';
import { WasmBackend } from '../../../engine/backends/wasm/index.js';
import { Rng, type Backend, type Handle } from '../../../engine/index.js';
import { assertClose, everyBackend, js, testOn, type TestBackend } from '../../helpers/backends.js';

export interface KernelCase {
  /** The kernel and what is particular about this case (its shapes, its options). */
  name: string;
  /** Uploaded before the call, handed to `call` in this order. */
  inputs: Float32Array[];
  /**
   * Each output's size, filled with NaN before the call so that the kernel
   * must write every element; or its values before the call, for kernels
   * that accumulate or update in place.
   */
  outputs: (number | Float32Array)[];
  call(b: Backend, inputs: Handle[], outputs: Handle[]): void;
  /**
   * A tolerance other than the table's: tighter where a kernel is exact but for
   * rounding (random draws), looser where an f32 intermediate bounds agreement.
   */
  rtol?: number;
}

/** Runs the case on `b` and returns every output's values; frees what it made. */
export async function runCase(b: Backend, c: KernelCase): Promise<Float32Array[]> {
  const upload = (values: Float32Array) => {
    const h = b.alloc(values.length);
    b.write(h, values);
    return h;
  };
  const inputs = c.inputs.map(upload);
  const outputs = c.outputs.map((o) => upload(typeof o === 'number' ? new Float32Array(o).fill(NaN) : o));
  c.call(b, inputs, outputs);
  const values = await Promise.all(outputs.map((h) => b.read(h)));
  for (const h of [...inputs, ...outputs]) b.free(h);
  return values;
}

const plain = await WasmBackend.create({ threads: 2, module: await compileKernels(false) });
if (!/WebAssembly SIMD kernels/.test(plain.describe())) throw new Error(`wasm's plain build describes itself as ${plain.describe()}`);
/** The backends compared with js: wasm, webgpu, and wasm's plain SIMD build (no relaxed fused multiply-add). */
const compared: readonly TestBackend[] = [...everyBackend.filter((b) => b.backend !== js), { label: 'wasm plain SIMD', backend: plain }];

/** Registers every case on every compared backend; js computes each case's expected values once. */
export function kernelTable(cases: readonly KernelCase[]): void {
  for (const c of cases) {
    let expected: Promise<Float32Array[]> | undefined;
    for (const on of compared) {
      testOn(on, c.name, async (b) => {
        expected ??= runCase(js, c);
        const [want, got] = [await expected, await runCase(b, c)];
        got.forEach((values, i) => assertClose(values, want[i]!, c.outputs.length > 1 ? `${c.name}: output ${i}` : c.name, c.rtol));
      });
    }
  }
}

/** Seeded inputs for the cases: uniform in [low, high). */
export function values(rng: Rng, n: number, low = -1, high = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = low + (high - low) * rng.uniform();
  return a;
}
