/** Tensors made from values: constants, ranges of random numbers, copies from the host. */
import type { RandomKey } from '../backend.js';
import { defaultRng, type Rng } from '../rng.js';
import { state } from '../state.js';
import { sizeOf } from '../strides.js';
import { empty, Tensor } from '../tensor.js';

export interface CreateOptions {
  requiresGrad?: boolean;
}

/** A tensor holding `values` (row-major) with the given shape (default: 1-d). */
export function tensor(values: ArrayLike<number>, shape: readonly number[] = [values.length], options: CreateOptions = {}): Tensor {
  if (sizeOf(shape) !== values.length) throw new Error(`tensor(): ${values.length} values cannot have shape [${shape}]`);
  const t = empty(shape);
  state.backend.write(t.handle, values instanceof Float32Array ? values : Float32Array.from(values));
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  const t = empty(shape);
  if (value !== 0) state.backend.fill(t.handle, value);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function fullLike(t: Tensor, value: number): Tensor {
  return full(t.shape, value);
}

export interface RandomOptions extends CreateOptions {
  /** The generator to draw from; the global seeded one (manualSeed) by default. */
  rng?: Rng;
}

/** Standard normal values. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const rng = options.rng ?? defaultRng();
  return tensor(rng.fillNormal(new Float32Array(sizeOf(shape))), shape, options);
}

/** The key as backends take it (seedHigh 0 unless given); refuses a word that is not a u32. */
export function fullRandomKey(key: RandomKey, op: string): Required<RandomKey> {
  const full = { seed: key.seed, seedHigh: key.seedHigh ?? 0, counter: key.counter };
  for (const [name, v] of Object.entries(full)) {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new Error(`${op}: ${name} must be a whole number in [0, 2^32), got ${v}`);
  }
  return full;
}

/** A fresh 64-bit key from `rng` (seed, then seedHigh), for noise that must not repeat over a long run. */
export function drawRandomKey(rng: Rng, counter = 0): RandomKey {
  return { seed: rng.nextUint32(), seedHigh: rng.nextUint32(), counter };
}

/**
 * Standard normal values drawn on the backend from the counter-based stream
 * `key` (Philox 4x32-10 and Box-Muller; engine/backend.ts `randomNormal`):
 * nothing crosses from the host, and every backend draws the same values.
 */
export function randomNormal(shape: readonly number[], key: RandomKey): Tensor {
  const full = fullRandomKey(key, 'randomNormal');
  const t = empty(shape);
  state.backend.randomNormal(t.handle, full);
  return t;
}

/** Uniform values in [low, high), [0, 1) by default. */
export function rand(shape: readonly number[], options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const rng = options.rng ?? defaultRng();
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = low + (high - low) * rng.uniform();
  return tensor(values, shape, options);
}
