// Counter-based Gaussian noise: Philox 4x32-10 and Box-Muller, as
// engine/backends/js/random.ts defines them (engine/backend.ts
// `randomNormal`), four blocks at a time: lane j of every vector is block
// first + j. Work items are chunks of four-draw blocks.
import { cosSimd, logSimd, sinSimd } from './mathf';
import { RandomParams } from './params';

const M0: u32 = 0xd2511f53, M1: u32 = 0xcd9e8d57, W0: u32 = 0x9e3779b9, W1: u32 = 0xbb67ae85;
const PI: f32 = 3.14159265358979;
const TWO_POW_MINUS_24: f32 = 1.0 / 16777216.0;
const TWO_POW_MINUS_23: f32 = 1.0 / 8388608.0;
const TWO_POW_MINUS_17: f32 = 1.0 / 131072.0;

/** The high 32 bits of each lane's 64-bit product a * b (u32 lanes): the odd halves of the two 64-bit products. */
@inline function mulhi(a: v128, b: v128): v128 {
  return v128.shuffle<u32>(i64x2.extmul_low_i32x4_u(a, b), i64x2.extmul_high_i32x4_u(a, b), 1, 3, 5, 7);
}

/**
 * Box-Muller's radius sqrt(-2 log u1), u1 = (hi + (lo + 1) / 2^17) / 2^24 in
 * (0, 1] from 41 bits: hi = a >> 8, lo = (a & 255) << 9 | b & 511 (js's
 * radiusUniform; the f32 sum rounds, never past 2^24, so u1 <= 1).
 */
@inline function radius(a: v128, b: v128): v128 {
  const hi = f32x4.convert_i32x4_s(i32x4.shr_u(a, 8));
  const lo = v128.or(i32x4.shl(v128.and(a, i32x4.splat(0xff)), 9), v128.and(b, i32x4.splat(0x1ff)));
  const fraction = f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(lo, i32x4.splat(1))), f32x4.splat(TWO_POW_MINUS_17));
  const u1 = f32x4.mul(f32x4.add(hi, fraction), f32x4.splat(TWO_POW_MINUS_24));
  return f32x4.sqrt(f32x4.mul(f32x4.splat(-2), logSimd(u1)));
}

/** Box-Muller's angle pi (2 u2 - 1), u2 = (2 (b >> 9) + 1) / 2^24: inside (-pi, pi). */
@inline function angle(b: v128): v128 {
  const odd = f32x4.convert_i32x4_s(v128.or(i32x4.shl(i32x4.shr_u(b, 9), 1), i32x4.splat(1)));
  return f32x4.mul(f32x4.splat(PI), f32x4.sub(f32x4.mul(odd, f32x4.splat(TWO_POW_MINUS_23)), f32x4.splat(1)));
}

/** The normals of the last four blocks normalsOfFourBlocks computed, one block each (a worker's instance has its own). */
let block0: v128 = i32x4.splat(0), block1: v128 = i32x4.splat(0), block2: v128 = i32x4.splat(0), block3: v128 = i32x4.splat(0);

/** Blocks first .. first + 3 of the stream of key (seed, seedHigh) and counter: their four normals each into block0..block3. */
export function normalsOfFourBlocks(first: u32, seed: u32, seedHigh: u32, counter: u32): void {
  let c0 = i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3));
  let c1 = i32x4.splat(counter), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
  const m0 = i32x4.splat(M0), m1 = i32x4.splat(M1);
  let k0 = seed, k1 = seedHigh;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(m0, c0), lo0 = i32x4.mul(m0, c0);
    const hi1 = mulhi(m1, c2), lo1 = i32x4.mul(m1, c2);
    c0 = v128.xor(v128.xor(hi1, c1), i32x4.splat(k0));
    c2 = v128.xor(v128.xor(hi0, c3), i32x4.splat(k1));
    c1 = lo1;
    c3 = lo0;
    k0 += W0;
    k1 += W1;
  }
  const r0 = radius(c0, c1), a0 = angle(c1), r1 = radius(c2, c3), a1 = angle(c3);
  // Lane j of z0..z3 are block j's four normals: transpose them into one vector per block.
  const z0 = f32x4.mul(r0, cosSimd(a0)), z1 = f32x4.mul(r0, sinSimd(a0));
  const z2 = f32x4.mul(r1, cosSimd(a1)), z3 = f32x4.mul(r1, sinSimd(a1));
  const t0 = v128.shuffle<f32>(z0, z1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(z0, z1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(z2, z3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(z2, z3, 2, 6, 3, 7);
  block0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5);
  block1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
  block2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5);
  block3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
}

/** Block first + j of the last normalsOfFourBlocks (j in 0..3). */
@inline export function blockOfFour(j: i32): v128 {
  return j == 0 ? block0 : j == 1 ? block1 : j == 2 ? block2 : block3;
}

/** Lane `lane` (0..3) of v, a lane chosen at run time. */
@inline export function laneOf(v: v128, lane: i32): f32 {
  return lane == 0 ? f32x4.extract_lane(v, 0) : lane == 1 ? f32x4.extract_lane(v, 1) : lane == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

/** Blocks [begin * chunk, end * chunk) of y, four normals each; chunk is a multiple of four. */
export function randomNormal(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<RandomParams>(params);
  const blocks = (p.n + 3) >> 2;
  const last = min(blocks, end * p.chunk);
  for (let first = begin * p.chunk; first < last; first += 4) {
    normalsOfFourBlocks(first, p.seed, p.seedHigh, p.counter);
    for (let j = 0; j < 4 && first + j < last; j++) {
      const block = first + j;
      const at = p.y + (<usize>block << 4);
      const z = blockOfFour(j);
      if (4 * block + 4 <= p.n) v128.store(at, z);
      else for (let lane = 0; 4 * block + lane < p.n; lane++) store<f32>(at + (<usize>lane << 2), laneOf(z, lane)); // the last block may be cut short
    }
  }
}
