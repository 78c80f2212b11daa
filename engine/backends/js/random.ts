/**
 * Counter-based Gaussian noise (engine/backend.ts `randomNormal`): Philox
 * 4x32-10 (Salmon et al. 2011, Random123) and Box-Muller, the definition the
 * wasm and WGSL kernels follow step for step.
 */
import type { Handle, RandomKey } from '../../backend.js';
import { arr } from './storage.js';

const M0 = 0xd2511f53, M1 = 0xcd9e8d57, W0 = 0x9e3779b9, W1 = 0xbb67ae85;

/** The high 32 bits of the 64-bit product of two u32, from 16-bit halves (as WGSL must, having no u64). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox 4x32-10 of counter c under key k: four uniform u32. */
export function philox4x32(c: readonly number[], k: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = c.map((v) => v >>> 0) as [number, number, number, number];
  let [k0, k1] = k.map((v) => v >>> 0) as [number, number];
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/**
 * Two standard normals from two u32. The radius sqrt(-2 log u1) takes u1 in
 * (0, 1] from 41 bits, a's 32 and b's low 9: u1 = (hi + (lo + 1) / 2^17) /
 * 2^24 with hi = a >> 8 and lo = (a & 255) << 9 | b & 511, so the radius
 * reaches sqrt(82 ln 2) = 7.54 and the noise's cut tail costs DP nothing
 * measurable (DESIGN.md, "the noise's tail"); from a's top 24 bits alone it
 * stopped at 5.77, where it did. The angle is pi (2 u2 - 1) with u2 = (2 (b
 * >> 9) + 1) / 2^24 in (0, 1), inside (-pi, pi), where GPUs' cos and sin are
 * accurate, and shares no bit with the radius.
 */
export function boxMuller(a: number, b: number): [number, number] {
  const u1 = radiusUniform(a, b);
  const angle = Math.PI * ((2 * (b >>> 9) + 1) / 2 ** 23 - 1);
  const r = Math.sqrt(-2 * Math.log(u1));
  return [r * Math.cos(angle), r * Math.sin(angle)];
}

/** Box-Muller's u1 in [2^-41, 1] from a and b's low 9 bits (exact in f64). */
export function radiusUniform(a: number, b: number): number {
  const hi = a >>> 8, lo = ((a & 0xff) << 9) | (b & 0x1ff);
  return (hi + (lo + 1) / 2 ** 17) / 2 ** 24;
}

/** The four normals of block `block` of the stream `key`. */
export function normalsOfBlock(block: number, key: Required<RandomKey>): number[] {
  const [x0, x1, x2, x3] = philox4x32([block, key.counter, 0, 0], [key.seed, key.seedHigh]);
  return [...boxMuller(x0, x1), ...boxMuller(x2, x3)];
}

export function randomNormal(y: Handle, key: Required<RandomKey>): void {
  const ys = arr(y);
  for (let block = 0; 4 * block < ys.length; block++) {
    const values = normalsOfBlock(block, key);
    for (let lane = 0; lane < 4 && 4 * block + lane < ys.length; lane++) ys[4 * block + lane] = values[lane]!;
  }
}
