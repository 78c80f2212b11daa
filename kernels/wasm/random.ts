// Counter-based Gaussian noise: Philox 4x32-10 and Box-Muller, as
// engine/backends/js/random.ts defines them (engine/backend.ts
// `randomNormal`). Work items are chunks of four-draw blocks.
import { RandomParams } from './params';

const M0: u32 = 0xd2511f53, M1: u32 = 0xcd9e8d57, W0: u32 = 0x9e3779b9, W1: u32 = 0xbb67ae85;
const PI: f32 = 3.14159265358979;
const TWO_POW_MINUS_24: f32 = 1.0 / 16777216.0;
const TWO_POW_MINUS_23: f32 = 1.0 / 8388608.0;

/** The radius and angle of a Box-Muller pair from two u32. */
@inline function radius(a: u32): f32 {
  const top: u32 = (a >> 8) + 1;
  const u1: f32 = <f32>top * TWO_POW_MINUS_24;
  return Mathf.sqrt(-2 * Mathf.log(u1));
}

@inline function angle(b: u32): f32 {
  const bits: u32 = ((b >> 9) << 1) | 1;
  const odd: f32 = <f32>bits;
  return PI * (odd * TWO_POW_MINUS_23 - 1);
}

/** The four normals of the last block normalsOfBlock computed (a worker's instance has its own). */
export let z0: f32 = 0, z1: f32 = 0, z2: f32 = 0, z3: f32 = 0;

/** Block `block` of the stream (seed, counter): its four normals into z0..z3. */
export function normalsOfBlock(block: u32, seed: u32, counter: u32): void {
  let c0 = block, c1 = counter, c2: u32 = 0, c3: u32 = 0;
  let k0 = seed, k1: u32 = 0;
  for (let round = 0; round < 10; round++) {
    const prod0 = <u64>M0 * <u64>c0;
    const prod1 = <u64>M1 * <u64>c2;
    const n0 = <u32>(prod1 >> 32) ^ c1 ^ k0;
    const n2 = <u32>(prod0 >> 32) ^ c3 ^ k1;
    c1 = <u32>prod1;
    c3 = <u32>prod0;
    c0 = n0;
    c2 = n2;
    k0 += W0;
    k1 += W1;
  }
  const r0 = radius(c0), a0 = angle(c1), r1 = radius(c2), a1 = angle(c3);
  z0 = r0 * Mathf.cos(a0);
  z1 = r0 * Mathf.sin(a0);
  z2 = r1 * Mathf.cos(a1);
  z3 = r1 * Mathf.sin(a1);
}

/** Blocks [begin * chunk, end * chunk) of y, four normals each. */
export function randomNormal(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<RandomParams>(params);
  const blocks = (p.n + 3) >> 2;
  const last = min(blocks, end * p.chunk);
  for (let block = begin * p.chunk; block < last; block++) {
    normalsOfBlock(block, p.seed, p.counter);
    const at = p.y + (<usize>block << 4);
    const lanes = min(4, p.n - 4 * block); // the last block may be cut short
    store<f32>(at, z0);
    if (lanes > 1) store<f32>(at, z1, 4);
    if (lanes > 2) store<f32>(at, z2, 8);
    if (lanes > 3) store<f32>(at, z3, 12);
  }
}
