/**
 * Seeds for independent random streams: one Rng per (seed, purpose, index...)
 * so that, say, the noise of plane z of subject s does not depend on which
 * other planes or subjects were generated first.
 */
import { Rng } from '../engine/index.js';

/** A 32-bit seed mixed from whole numbers (murmur3's finaliser after each). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** An Rng for the stream named by `parts`. */
export function streamRng(...parts: number[]): Rng {
  return new Rng(mixSeed(...parts));
}

/** k distinct whole numbers from [0, n), in random order (Floyd's algorithm, then a shuffle). */
export function sampleWithoutReplacement(n: number, k: number, rng: Rng): number[] {
  if (k > n) throw new RangeError(`cannot draw ${k} distinct values from ${n}`);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return rng.shuffle([...chosen].sort((a, b) => a - b));
}
