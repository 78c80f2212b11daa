/**
 * Seeded random numbers: xoshiro128** (Blackman and Vigna) seeded through
 * splitmix32, normals by Marsaglia's polar method (no sine or cosine: DP-SGD
 * draws one normal per parameter per step). Same seed, same sequence,
 * everywhere.
 */
export class Rng {
  private s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /**
   * A generator whose whole 128-bit state is `words` (four u32, not all
   * zero): for streams keyed by more than the constructor's 32-bit seed.
   */
  static fromState(words: ArrayLike<number>): Rng {
    if (words.length !== 4 || Array.from(words).every((w) => w >>> 0 === 0)) throw new Error('Rng.fromState: four 32-bit words, not all zero, expected');
    const rng = new Rng(0);
    for (let i = 0; i < 4; i++) rng.s[i] = words[i]! >>> 0;
    return rng;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u: number;
    let v: number;
    let r2: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      r2 = u * u + v * v;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.spareNormal = v * f;
    return u * f;
  }

  /**
   * Fills `out` with standard normals: the same values, in the same order, as
   * out.length calls of normal(), with the generator's steps inlined (about
   * twice as fast on millions of values).
   */
  fillNormal(out: Float32Array): Float32Array {
    let i = 0;
    if (this.spareNormal !== null && out.length > 0) {
      out[i++] = this.spareNormal;
      this.spareNormal = null;
    }
    const state = this.s;
    let [s0, s1, s2, s3] = [state[0]!, state[1]!, state[2]!, state[3]!];
    for (; i + 1 < out.length; i += 2) {
      let u: number;
      let v: number;
      let r2: number;
      do {
        // Two nextUint32() steps, then 2 x / 2^32 - 1 as 2 * uniform() - 1 computes it.
        let m = Math.imul(s1, 5);
        let t = s1 << 9;
        u = (Math.imul((m << 7) | (m >>> 25), 9) >>> 0) * (2 / 4294967296) - 1;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        m = Math.imul(s1, 5);
        t = s1 << 9;
        v = (Math.imul((m << 7) | (m >>> 25), 9) >>> 0) * (2 / 4294967296) - 1;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        r2 = u * u + v * v;
      } while (r2 >= 1 || r2 === 0);
      const f = Math.sqrt((-2 * Math.log(r2)) / r2);
      out[i] = u * f;
      out[i + 1] = v * f;
    }
    state[0] = s0;
    state[1] = s1;
    state[2] = s2;
    state[3] = s3;
    if (i < out.length) out[i] = this.normal();
    return out;
  }

  /** A Fisher-Yates shuffle of `items`, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let globalRng = new Rng(0);

/** Reseeds the generator behind randn, rand and parameter initialisation. */
export function manualSeed(seed: number): void {
  globalRng = new Rng(seed);
}

export function defaultRng(): Rng {
  return globalRng;
}
