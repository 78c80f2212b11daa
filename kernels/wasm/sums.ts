// Long sums: f32 lanes within blocks of BLOCK values, f64 across blocks, so
// that rounding grows with the block, not with the length. Serial f32 lanes
// alone lost a norm's last digits over 515k gradient values, and a plane's
// mean over 65k values near 100 by enough to swamp its variance.

export const BLOCK = 256;

/** An f32x4 accumulator's lanes, added into f64. */
@inline export function lanesF64(acc: v128): f64 {
  return <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
}

/** Where the block starting at i ends: at most BLOCK values on, a whole number of `width`-value steps, within n. */
@inline export function blockEnd(i: i32, n: i32, width: i32): i32 {
  return min(n, i + BLOCK) & ~(width - 1);
}

/** The sum of n contiguous values, 16 lanes at a time within each block. */
export function sumOf(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i + 16 <= n) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    const end = blockEnd(i, n, 16);
    for (; i < end; i += 16) {
      const at = x + (<usize>i << 2);
      s0 = f32x4.add(s0, v128.load(at));
      s1 = f32x4.add(s1, v128.load(at, 16));
      s2 = f32x4.add(s2, v128.load(at, 32));
      s3 = f32x4.add(s3, v128.load(at, 48));
    }
    total += lanesF64(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  }
  for (; i < n; i++) total += <f64>load<f32>(x + (<usize>i << 2));
  return total;
}

/** The sum of (x - centre)^2 over n contiguous values. */
export function squaresAbout(x: usize, n: i32, centre: f32): f64 {
  const vc = f32x4.splat(centre);
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    let acc = f32x4.splat(0);
    const end = blockEnd(i, n, 4);
    for (; i < end; i += 4) {
      const d = f32x4.sub(v128.load(x + (<usize>i << 2)), vc);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    total += lanesF64(acc);
  }
  for (; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - centre;
    total += <f64>(d * d);
  }
  return total;
}
