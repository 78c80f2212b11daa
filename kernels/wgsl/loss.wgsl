// Point-wise losses (engine/backend.ts `pointLoss`, `pointLossBackward`): the mean of op(a - b)
// over n elements (one workgroup, partial sums added in workgroup memory), and its gradient
// dy[0] op'(a - b) / n (one invocation per element, in a grid-stride loop); b is a tensor, or
// when hasB is 0 the constant.

//! include _ops.generated.wgsl

struct LossUniforms {
  op: u32,
  n: u32,
  hasB: u32,
  constant: f32, // the target when hasB is 0
}

@group(0) @binding(0) var<uniform> u: LossUniforms;
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // y [1], or da [n]
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>; // [1]

override WG: u32 = 256;

alias Partial = f32;
var<workgroup> partial: array<Partial, WG>;
//! include _workgroup_sum.wgsl

fn difference(i: u32) -> f32 {
  return a[i] - select(u.constant, b[i], u.hasB != 0u);
}

fn lossOf(d: f32) -> f32 {
  switch u.op {
    case loss_l1: { return abs(d); }
    case loss_mse: { return d * d; }
    default: { return 0.0; }
  }
}

fn derivativeOf(d: f32) -> f32 {
  switch u.op {
    case loss_l1: { return sign(d); }
    case loss_mse: { return 2.0 * d; }
    default: { return 0.0; }
  }
}

@compute @workgroup_size(WG)
fn pointLoss(@builtin(local_invocation_id) lid: vec3u) {
  var s = 0.0;
  for (var i = lid.x; i < u.n; i += WG) {
    s += lossOf(difference(i));
  }
  let total = workgroupSum(lid.x, s);
  if (lid.x == 0u) {
    out[0] = total / f32(u.n);
  }
}

@compute @workgroup_size(WG)
fn pointLossBackward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let scale = dy[0] / f32(u.n);
  for (var i = id.x; i < u.n; i += wgs.x * WG) {
    out[i] = scale * derivativeOf(difference(i));
  }
}
