/**
 * What the model tests share: the PyTorch fixtures (tests/fixtures/
 * make_model_fixtures.py), the hashed weights and images that script uses,
 * and a closeness assertion with the tolerance in the call.
 */
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { noGrad, nn, tensor, type Tensor } from '../../engine/index.js';

const fixtureDir = new URL('../../../tests/fixtures/', import.meta.url);

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8')) as T;
}

export interface ParamFixture {
  width: number;
  networks: Record<string, { parameters: [string, number[]][]; count: number }>;
}

export interface ForwardCase {
  inputShape: number[];
  inputSalt: number;
  outputs: { shape: number[]; values: number[] }[];
}

export interface StepCase {
  generator: Record<string, number>;
  discriminator: Record<string, number>;
  /** Per parameter: [sum |grad|, sum grad^2]. */
  generatorGrads: Record<string, [number, number]>;
  discriminatorGrads: Record<string, [number, number]>;
}

export interface NumericsFixture {
  width: number;
  forward: Record<string, ForwardCase>;
  steps: Record<string, StepCase>;
  stepInputs: Record<string, [number[], number, number]>;
}

/** u_i = ((i + 1) * 2654435761 + salt * 40503) mod 2^32 / 2^32, exact in doubles as in the script. */
export function hashed(count: number, salt: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = (((i + 1) * 2654435761 + salt * 40503) % 4294967296) / 4294967296;
  return out;
}

/** The script's hashed_image: 2u - 1 in float32. */
export function hashedImage(shape: readonly number[], salt: number): Tensor {
  const u = hashed(shape.reduce((a, b) => a * b, 1), salt);
  return tensor(Float32Array.from(u, (v) => 2 * v - 1), shape);
}

/** The script's fill_hashed: parameter k gets (2u - 1) * bound with salt base + k. */
export function fillHashed(module: nn.Module, base: number): void {
  noGrad(() =>
    module.namedParameters().forEach(([, p], k) => {
      const bound = p.rank >= 2 ? 1 / Math.sqrt(p.size / p.shape[0]!) : 0.5;
      const src = tensor(Float32Array.from(hashed(p.size, base + k), (u) => (2 * u - 1) * bound), p.shape);
      p.assign(src);
      src.dispose();
    }),
  );
}

/**
 * |actual - expected| <= atol + rtol |expected| elementwise, atol = rtol *
 * max |expected| unless given (a relative tolerance on the tensor's scale).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string, atol?: number): void {
  assert.is(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  const abs = atol ?? rtol * scale;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (abs + rtol * Math.abs(expected[i]!));
    if (excess > worstExcess || Number.isNaN(actual[i]!)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) assert.unreachable(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol})`);
}

/** [sum |g|, sum g^2] of a gradient, in doubles. */
export async function gradSummary(grad: Tensor): Promise<[number, number]> {
  let abs = 0;
  let sq = 0;
  for (const v of await grad.data()) {
    abs += Math.abs(v);
    sq += v * v;
  }
  return [abs, sq];
}

/** Parameter count of each name prefix of `depth` parts (`depth` 1: each top-level block). */
export function blockCounts(m: nn.Module, depth: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, p] of m.namedParameters()) {
    const block = name.split('.').slice(0, depth).join('.');
    out[block] = (out[block] ?? 0) + p.size;
  }
  return out;
}
