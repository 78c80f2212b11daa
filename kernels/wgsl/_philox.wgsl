// Philox 4x32-10 and Box-Muller, as engine/backends/js/random.ts defines them: the normals of
// randomNormal and of DP-SGD's noised clipped sum. A fragment: the shaders that use it include it
// (scripts/embed-wgsl.mjs). WGSL has no u64: the high half of each 32x32 product is built from
// 16-bit halves.

const PI: f32 = 3.14159265358979;

fn mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox(counter: vec4u, key: vec2u) -> vec4u {
  var c = counter;
  var k = key;
  for (var round = 0; round < 10; round++) {
    let hi0 = mulhi(0xd2511f53u, c.x);
    let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi(0xcd9e8d57u, c.z);
    let lo1 = 0xcd9e8d57u * c.z;
    c = vec4u(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k += vec2u(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}

/** Two normals from two u32: radius from (a >> 8) + 1 over 2^24, angle inside (-pi, pi). */
fn boxMuller(a: u32, b: u32) -> vec2f {
  let r = sqrt(-2.0 * log(f32((a >> 8u) + 1u) / 16777216.0));
  let angle = PI * (f32(2u * (b >> 9u) + 1u) / 8388608.0 - 1.0);
  return r * vec2f(cos(angle), sin(angle));
}

/** The four normals of block `block` of the stream (seed, counter). */
fn normalsOfBlock(block: u32, seed: u32, counter: u32) -> vec4f {
  let bits = philox(vec4u(block, counter, 0u, 0u), vec2u(seed, 0u));
  return vec4f(boxMuller(bits.x, bits.y), boxMuller(bits.z, bits.w));
}
