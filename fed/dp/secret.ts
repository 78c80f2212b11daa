/**
 * The secret behind a private client's randomness. DP-SGD's guarantee holds
 * only while nobody can recompute which units a step sampled and what noise
 * it added; the run's seed is a setting, taken as public, so whoever knew it
 * could replay the noise and subtract it. A private client's Poisson samples
 * and noise therefore come from a 128-bit key drawn from the platform's
 * cryptographic generator (crypto.getRandomValues, in Node and in browsers)
 * when the client is made. The key is part of the client's private state
 * (a run's checkpoints, a node's state folder: never its uploads), so that a
 * resumed run draws exactly what the uninterrupted one would have.
 *
 * `seeded` derives the key from the seed instead: a run can then be repeated
 * bit for bit (tests, figures), and its epsilon is no guarantee.
 */
import { Rng, type StateEntry } from '../../engine/index.js';
import { mixSeed } from '../../data/index.js';

export type DpRandomness = 'secret' | 'seeded';

/** What the ledger says beside the epsilon of a seeded run. */
export const SEEDED_CAVEAT = 'no guarantee: DP sampling and noise were drawn from the seed (--dp-randomness seeded), which anyone who knows the settings can replay';

/** The private-state entry that holds the key: its 128 bits as eight 16-bit halves, exact in float32. */
export const DP_SECRET_ENTRY = 'dp.secret';

const HALVES = 8;

export class DpSecret {
  private constructor(private readonly words: Uint32Array) {}

  /** A fresh key from the platform's cryptographic generator, or with `seeded` one that follows from `seed`. */
  static create(randomness: DpRandomness, seed: number): DpSecret {
    const words = new Uint32Array(4);
    if (randomness === 'secret') crypto.getRandomValues(words);
    else words.forEach((_, i) => (words[i] = mixSeed(seed, 0x5eed, i)));
    return new DpSecret(words);
  }

  /** The key as `toEntry` stored it; `where` names the source in errors. */
  static fromEntry(entry: StateEntry | undefined, where: string): DpSecret {
    const v = entry?.values;
    if (!v || v.length !== HALVES || v.some((h) => !(Number.isInteger(h) && h >= 0 && h < 0x10000))) {
      throw new Error(`${where}: no DP key ('${DP_SECRET_ENTRY}', ${HALVES} 16-bit halves); a private client's state holds the key its sampling and noise were drawn with (a checkpoint written before fedmed kept it cannot continue a private run)`);
    }
    return new DpSecret(Uint32Array.from({ length: 4 }, (_, i) => (v[2 * i]! * 0x10000 + v[2 * i + 1]!) >>> 0));
  }

  toEntry(): StateEntry {
    const values = new Float32Array(HALVES);
    this.words.forEach((w, i) => {
      values[2 * i] = w >>> 16;
      values[2 * i + 1] = w & 0xffff;
    });
    return { shape: [HALVES], values };
  }

  /**
   * The stream named by (`purpose`, `index`) under this key: all 128 bits of
   * the generator's state depend on the whole key, so guessing a stream is
   * guessing the key.
   */
  stream(purpose: number, index: number): Rng {
    const [k0, k1, k2, k3] = this.words;
    return Rng.fromState(Uint32Array.from({ length: 4 }, (_, i) => mixSeed(k0!, k1!, k2!, k3!, purpose, index, i) || 1));
  }
}
