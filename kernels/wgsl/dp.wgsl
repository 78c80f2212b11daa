// DP-SGD's kernels (engine/backend.ts `sumSquaresPerSample`, `clippedSumWithNoise`): each
// sample's squared gradient norm (one workgroup per sample, partial sums added in workgroup
// memory), and the clipped sum of the samples' gradients with Gaussian noise drawn in place (one
// invocation per block of four elements, in a grid-stride loop); with no samples, unit noise and
// unit scale, the latter is randomNormal.

struct DpUniforms {
  batch: u32,
  size: u32,
  accumulate: u32,
  seed: u32,
  seedHigh: u32,
  counter: u32,
  noiseStd: f32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> u: DpUniforms;
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // squares [batch], or y [size]
@group(0) @binding(2) var<storage, read> x: array<f32>; // [batch, size]
@group(0) @binding(3) var<storage, read> factors: array<f32>; // [batch]

override WG: u32 = 256;

alias Partial = f32;
var<workgroup> partial: array<Partial, WG>;
//! include _workgroup_sum.wgsl

// Philox 4x32-10 and Box-Muller, as engine/backends/js/random.ts defines them. WGSL has no u64:
// the high half of each 32x32 product is built from 16-bit halves.

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

/**
 * Two normals from two u32: radius from u1 = (hi + (lo + 1) / 2^17) / 2^24 in (0, 1], 41 bits
 * (hi = a >> 8, lo = (a & 255) << 9 | b & 511, as js's radiusUniform), angle inside (-pi, pi).
 */
fn boxMuller(a: u32, b: u32) -> vec2f {
  let lo = ((a & 255u) << 9u) | (b & 511u);
  let u1 = (f32(a >> 8u) + f32(lo + 1u) / 131072.0) / 16777216.0;
  let r = sqrt(-2.0 * log(u1));
  let angle = PI * (f32(2u * (b >> 9u) + 1u) / 8388608.0 - 1.0);
  return r * vec2f(cos(angle), sin(angle));
}

/** The four normals of block `block` of the stream of key (seed, seedHigh) and counter. */
fn normalsOfBlock(block: u32, seed: u32, seedHigh: u32, counter: u32) -> vec4f {
  let bits = philox(vec4u(block, counter, 0u, 0u), vec2u(seed, seedHigh));
  return vec4f(boxMuller(bits.x, bits.y), boxMuller(bits.z, bits.w));
}

@compute @workgroup_size(WG)
fn sumSquaresPerSample(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var n = wid.x; n < u.batch; n += wgs.x) {
    var s = 0.0;
    for (var i = lid.x; i < u.size; i += WG) {
      let v = x[n * u.size + i];
      s += v * v;
    }
    let total = workgroupSum(lid.x, s);
    if (lid.x == 0u) {
      out[n] = select(0.0, out[n], u.accumulate != 0u) + total;
    }
  }
}

/**
 * Whether a clip factor counts, told by its bits (WGSL may assume no NaN where it compares): 0 and
 * NaN (a non-finite norm's) do not, and their sample is left out whatever its gradient holds.
 */
fn counts(f: f32) -> bool {
  let magnitude = bitcast<u32>(f) & 0x7fffffffu;
  return magnitude != 0u && magnitude <= 0x7f800000u;
}

@compute @workgroup_size(WG)
fn clippedSumWithNoise(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let blocks = (u.size + 3u) / 4u;
  for (var block = id.x; block < blocks; block += wgs.x * WG) {
    let z = normalsOfBlock(block, u.seed, u.seedHigh, u.counter);
    for (var lane = 0u; lane < 4u && 4u * block + lane < u.size; lane++) {
      let i = 4u * block + lane;
      var total = u.noiseStd * z[lane];
      for (var n = 0u; n < u.batch; n++) {
        if (counts(factors[n])) {
          total += factors[n] * x[n * u.size + i];
        }
      }
      out[i] = u.scale * total;
    }
  }
}
