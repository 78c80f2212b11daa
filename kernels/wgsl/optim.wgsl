// Optimizer kernels: one torch.optim.Adam step over a parameter (the output, updated in place), its
// two moments (updated in place) and its gradient, in one pass (engine/backend.ts `adam`).
// One invocation per element, in a grid-stride loop.

struct AdamUniforms {
  size: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  stepSize: f32, // lr / (1 - beta1^t)
  sqrtCorrection2: f32, // sqrt(1 - beta2^t)
}

@group(0) @binding(0) var<uniform> u: AdamUniforms;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grad: array<f32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var i = id.x; i < u.size; i += wgs.x * WG) {
    let x = param[i];
    let g = grad[i] + u.weightDecay * x;
    let mi = u.beta1 * m[i] + (1.0 - u.beta1) * g;
    let vi = u.beta2 * v[i] + (1.0 - u.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = x - u.stepSize * mi / (sqrt(vi) / u.sqrtCorrection2 + u.eps);
  }
}
