/**
 * Reading the PyTorch fixtures (tests/fixtures/torch/*.json, written by
 * tests/fixtures/make_torch_fixtures.py) and comparing engine values to them.
 * Arrays arrive as {shape, f32: base64 of little-endian float32}.
 */
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { tensor, type ActivationOptions, type Tensor } from '../../engine/index.js';
import { sizeOf } from '../../engine/strides.js';

/** A float32 array as the fixture script stores it. */
export interface Packed {
  shape: number[];
  f32: string;
}

/** One op evaluated by PyTorch: inputs, the output gradient fed in, the output and every input's gradient. */
export interface OpCase {
  name: string;
  op: string;
  options: Record<string, number | string | boolean | number[]>;
  inputs: Record<string, Packed>;
  dy: Packed;
  output: Packed;
  grads: Record<string, Packed>;
}

const fixtureDir = new URL('../../../tests/fixtures/torch/', import.meta.url); // from dist/tests/helpers

/** The parsed fixture tests/fixtures/torch/<name>.json. */
export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, fixtureDir), 'utf8')) as T;
}

/** The activation a case fuses into its op (conv2d, convTranspose2d, instanceNorm), as engine options; none when it has none. */
export function activationOptions(c: OpCase): ActivationOptions {
  return { activation: c.options.activation, slope: c.options.slope } as ActivationOptions;
}

export function loadOpCases(name: string): OpCase[] {
  return loadFixture<{ cases: OpCase[] }>(name).cases;
}

export function unpack(p: Packed): Float32Array {
  const bytes = Buffer.from(p.f32, 'base64');
  const values = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
  if (values.length !== sizeOf(p.shape)) throw new Error(`fixture array of shape [${p.shape}] holds ${values.length} values`);
  return values;
}

/** A fixture array as an engine tensor. */
export function fixtureTensor(p: Packed, requiresGrad = false): Tensor {
  return tensor(unpack(p), p.shape, { requiresGrad });
}

/**
 * max |actual - expected| / max |expected| over the finite expected values (the denominator at
 * least 1e-12); Infinity unless actual is NaN, inf or -inf exactly where expected is.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (!Number.isFinite(e)) {
      if (a !== e && !(Number.isNaN(a) && Number.isNaN(e))) return Infinity;
      continue;
    }
    diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return Number.isNaN(diff) ? Infinity : diff / Math.max(scale, 1e-12);
}

/** Asserts shape equality and relativeError(actual, expected) <= tolerance. */
export async function assertTensorClose(actual: Tensor, expected: Packed | { shape: readonly number[]; values: Float32Array }, tolerance: number, what: string): Promise<void> {
  const shape = expected.shape;
  const values = 'f32' in expected ? unpack(expected) : expected.values;
  assert.equal([...actual.shape], [...shape], `${what}: shape [${actual.shape}], expected [${shape}]`);
  const error = relativeError(await actual.data(), values);
  assert.ok(error <= tolerance, `${what}: relative error ${error.toExponential(2)} > ${tolerance}`);
}

/**
 * Runs one fixture op case on the engine: the case's inputs (all wanting
 * gradients) through `run`, then backward with the case's dy; asserts the
 * output and every input's gradient to `tolerance` relative (1e-4 default).
 */
export async function checkOpCase(c: OpCase, run: (inputs: Record<string, Tensor>) => Tensor, tolerance = 1e-4): Promise<void> {
  const inputs: Record<string, Tensor> = {};
  for (const [key, p] of Object.entries(c.inputs)) inputs[key] = fixtureTensor(p, true);
  const y = run(inputs);
  await assertTensorClose(y, c.output, tolerance, `${c.name}: output`);
  const dy = fixtureTensor(c.dy);
  y.backward({ gradient: dy });
  for (const [key, expected] of Object.entries(c.grads)) {
    const grad = inputs[key]!.grad;
    assert.ok(grad, `${c.name}: no gradient reached ${key}`);
    await assertTensorClose(grad, expected, tolerance, `${c.name}: gradient of ${key}`);
  }
  for (const t of [...Object.values(inputs), y, dy]) t.dispose();
}
