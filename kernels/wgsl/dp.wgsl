// DP-SGD's kernels (engine/backend.ts `sumSquaresPerSample`, `clippedSumWithNoise`): each
// sample's squared gradient norm (one workgroup per sample, partial sums added in workgroup
// memory), and the clipped sum of the samples' gradients with Gaussian noise drawn in place (one
// invocation per block of four elements, in a grid-stride loop).

struct DpUniforms {
  batch: u32,
  size: u32,
  accumulate: u32,
  seed: u32,
  counter: u32,
  noiseStd: f32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> u: DpUniforms;
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // squares [batch], or y [size]
@group(0) @binding(2) var<storage, read> x: array<f32>; // [batch, size]
@group(0) @binding(3) var<storage, read> factors: array<f32>; // [batch]

override WG: u32 = 256;

var<workgroup> partial: array<f32, WG>;

//! include _philox.wgsl

@compute @workgroup_size(WG)
fn sumSquaresPerSample(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var n = wid.x; n < u.batch; n += wgs.x) {
    var s = 0.0;
    for (var i = lid.x; i < u.size; i += WG) {
      let v = x[n * u.size + i];
      s += v * v;
    }
    partial[lid.x] = s;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
      if (lid.x < half) {
        partial[lid.x] += partial[lid.x + half];
      }
      workgroupBarrier();
    }
    if (lid.x == 0u) {
      out[n] = select(0.0, out[n], u.accumulate != 0u) + partial[0];
    }
    workgroupBarrier(); // before partial is reused
  }
}

@compute @workgroup_size(WG)
fn clippedSumWithNoise(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let blocks = (u.size + 3u) / 4u;
  for (var block = id.x; block < blocks; block += wgs.x * WG) {
    let z = normalsOfBlock(block, u.seed, u.counter);
    for (var lane = 0u; lane < 4u && 4u * block + lane < u.size; lane++) {
      let i = 4u * block + lane;
      var total = u.noiseStd * z[lane];
      for (var n = 0u; n < u.batch; n++) {
        total += factors[n] * x[n * u.size + i];
      }
      out[i] = u.scale * total;
    }
  }
}
