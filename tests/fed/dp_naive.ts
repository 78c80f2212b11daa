/**
 * DP-SGD the naive way, the oracle the fast sanitiser is checked against:
 * one batch-of-one backward pass per sample, each unit's gradients summed by
 * hand and clipped as one to C sqrt(share), summed, the same noise draws as
 * the sanitiser's (a 64-bit key, seed then seedHigh, from Rng(rngSeed); parameter k's stream
 * that key with counter k)
 * of std noise * C added, divided by the expected batch.
 */
import { randomNormal, Rng, type Tensor } from '../../engine/index.js';

export interface NaiveCase {
  n: number;
  clip: number;
  noise: number;
  /** The group's share of C^2 (default 1). */
  share?: number;
  expectedBatch?: number;
  units?: number[];
}

/** `backwardOne(i)` leaves sample i's own gradient in each parameter's grad. */
export async function naiveDpSgd(
  params: readonly Tensor[],
  backwardOne: (i: number) => void,
  c: NaiveCase,
  rngSeed: number,
): Promise<{ grads: Float64Array[]; norms: number[] }> {
  const units = c.units ?? Array.from({ length: c.n }, (_, i) => i);
  const unitCount = c.n ? Math.max(...units) + 1 : 0;
  const perUnit = Array.from({ length: unitCount }, () => params.map((p) => new Float64Array(p.size)));
  for (let i = 0; i < c.n; i++) {
    backwardOne(i);
    const grads = await Promise.all(params.map((p) => p.grad!.data()));
    grads.forEach((gi, k) => gi.forEach((v, j) => (perUnit[units[i]!]![k]![j] += v)));
    for (const p of params) p.grad = (p.grad?.dispose(), null);
  }
  const bound = c.clip * Math.sqrt(c.share ?? 1);
  const expected = params.map((p) => new Float64Array(p.size));
  const norms = perUnit.map((g) => {
    const norm = Math.sqrt(g.reduce((s, gi) => s + gi.reduce((a, v) => a + v * v, 0), 0));
    const factor = Math.min(1, bound / (norm + 1e-6));
    g.forEach((gi, k) => gi.forEach((v, j) => (expected[k]![j] += factor * v)));
    return norm;
  });
  const rng = new Rng(rngSeed);
  const key = { seed: rng.nextUint32(), seedHigh: rng.nextUint32() }; // the step's 64-bit noise key
  const divisor = c.expectedBatch ?? c.n;
  for (const [k, p] of params.entries()) {
    const z = randomNormal(p.shape, { ...key, counter: k });
    (await z.data()).forEach((v, j) => (expected[k]![j] = (expected[k]![j]! + c.noise * c.clip * v) / divisor));
    z.dispose();
  }
  return { grads: expected, norms };
}

/** Asserts a fast result equals the naive one to float tolerance (relative to each parameter's largest value). */
export function assertClose(fast: readonly Float32Array[], naive: readonly Float64Array[], what: string): void {
  fast.forEach((f, k) => {
    const scale = Math.max(...naive[k]!.map(Math.abs));
    f.forEach((v, j) => {
      if (!(Math.abs(v - naive[k]![j]!) <= 1e-4 * scale)) throw new Error(`${what}, param ${k}[${j}]: ${v} vs ${naive[k]![j]}`);
    });
  });
}
