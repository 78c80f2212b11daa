/**
 * Kernel parity: the same Backend call on the js oracle and on another
 * backend, from the same random inputs, compared to a relative tolerance.
 */
import * as assert from 'uvu/assert';
import { Rng, type Backend, type Handle } from '../../../engine/index.js';

export function randomValues(rng: Rng, n: number, low = -1, high = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = low + (high - low) * rng.uniform();
  return a;
}

/**
 * Every |actual - expected| <= rtol * max(|expected|, rms(expected)): relative
 * where values are large, relative to the typical size where sums cancel.
 */
export function assertClose(actual: Float32Array, expected: Float32Array, rtol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let squares = 0;
  for (const v of expected) squares += v * v;
  const rms = Math.sqrt(squares / Math.max(1, expected.length)) || 1e-30;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (!(Math.abs(a - e) <= rtol * Math.max(Math.abs(e), rms))) {
      assert.unreachable(`${what}: element ${i} is ${a}, expected ${e} (rms ${rms.toPrecision(3)}, rtol ${rtol})`);
    }
  }
}

export interface ParityCase {
  /** The inputs' values. */
  inputs: Float32Array[];
  /** The output's size. */
  outSize: number;
  /** What the output holds before the call: NaN (the kernel must overwrite it all), or these values. */
  outInitial?: Float32Array;
  call(b: Backend, inputs: Handle[], out: Handle): void;
}

/** Runs the case on `b` and returns the output's values; frees what it made. */
export async function runCase(b: Backend, c: ParityCase): Promise<Float32Array> {
  const handles = c.inputs.map((v) => {
    const h = b.alloc(v.length);
    b.write(h, v);
    return h;
  });
  const out = b.alloc(c.outSize);
  b.write(out, c.outInitial ?? new Float32Array(c.outSize).fill(NaN));
  c.call(b, handles, out);
  const values = await b.read(out);
  for (const h of [...handles, out]) b.free(h);
  return values;
}

export async function assertParity(oracle: Backend, b: Backend, c: ParityCase, rtol: number, what: string): Promise<void> {
  assertClose(await runCase(b, c), await runCase(oracle, c), rtol, what);
}
