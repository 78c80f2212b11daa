// Counter-based Gaussian noise: Philox 4x32-10 and Box-Muller, as engine/backends/js/random.ts
// defines them (engine/backend.ts `randomNormal`). One invocation per block of four draws, in a
// grid-stride loop.

struct RandomUniforms {
  size: u32,
  seed: u32,
  counter: u32,
}

@group(0) @binding(0) var<uniform> u: RandomUniforms;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

override WG: u32 = 256;

//! include _philox.wgsl

@compute @workgroup_size(WG)
fn randomNormal(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let blocks = (u.size + 3u) / 4u;
  for (var block = id.x; block < blocks; block += wgs.x * WG) {
    let z = normalsOfBlock(block, u.seed, u.counter);
    for (var lane = 0u; lane < 4u && 4u * block + lane < u.size; lane++) {
      y[4u * block + lane] = z[lane];
    }
  }
}
