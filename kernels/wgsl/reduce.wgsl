// Sums over the middle axis of x viewed as [outer, reduce, inner]: y[o, i] = sum over r of x[o, r, i].
//
// Two schedules, picked by the glue (engine/backends/webgpu/reduce.ts):
//   reduceSumPerInvocation  one invocation per output, a serial loop over r. For many outputs and short
//                           sums; neighbouring invocations read neighbouring i, so loads coalesce.
//   reduceSumPerWorkgroup   one workgroup per output: each invocation sums every WG-th term, then a tree
//                           in workgroup memory adds the WG partial sums. For few outputs and long sums
//                           (a plane's mean, the split-depth slabs of a weight gradient); the tree also
//                           keeps float32 rounding error growing with log(reduce) instead of reduce.
// WG is an override constant, a power of two no larger than the adapter allows.

struct ReduceUniforms {
  outer: u32,
  reduce: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> u: ReduceUniforms;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

override WG: u32 = 256;

alias Partial = f32;
var<workgroup> partial: array<Partial, WG>;
//! include _workgroup_sum.wgsl

@compute @workgroup_size(WG)
fn reduceSumPerInvocation(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let outputs = u.outer * u.inner;
  for (var out = id.x; out < outputs; out += wgs.x * WG) {
    let o = out / u.inner;
    let i = out % u.inner;
    var s = 0.0;
    for (var r = 0u; r < u.reduce; r++) {
      s += x[(o * u.reduce + r) * u.inner + i];
    }
    y[out] = s;
  }
}

@compute @workgroup_size(WG)
fn reduceSumPerWorkgroup(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) wgs: vec3u,
                         @builtin(local_invocation_index) li: u32) {
  let out = wg.y * wgs.x + wg.x; // the grid folds into two dimensions past 65535 outputs
  if (out >= u.outer * u.inner) { return; }
  let o = out / u.inner;
  let i = out % u.inner;
  var s = 0.0;
  for (var r = li; r < u.reduce; r += WG) {
    s += x[(o * u.reduce + r) * u.inner + i];
  }
  let total = workgroupSum(li, s);
  if (li == 0u) { y[out] = total; }
}
