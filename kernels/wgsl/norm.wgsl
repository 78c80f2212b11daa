// Instance normalisation, forward and backward (engine/backend.ts `instanceNorm`,
// `instanceNormBackward`): one workgroup per plane (planes beyond the grid in a workgroup-stride
// loop), its invocations striding over the plane's values and adding their partial sums in
// workgroup memory. Weight and bias are optional (hasWeight, hasBias); the stats and the affine
// gradients are written through bindings 2 and 3, which this family may write. An activation
// (1 + its unary_* code; 0: none) follows the affine in the forward pass; the backward pass takes dy
// back through it first, its derivative read off the forward's output y.

struct NormUniforms {
  planes: u32,
  channels: u32,
  size: u32,
  hasWeight: u32,
  hasBias: u32,
  eps: f32,
  activation: u32,
  activationAlpha: f32,
}

@group(0) @binding(0) var<uniform> u: NormUniforms;
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // forward: y; backward: dx
@group(0) @binding(2) var<storage, read_write> side0: array<f32>; // forward: stats; backward: dWeight
@group(0) @binding(3) var<storage, read_write> side1: array<f32>; // backward: dBias
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read> third: array<f32>; // forward: bias; backward: stats
@group(0) @binding(7) var<storage, read> dy: array<f32>;
@group(0) @binding(8) var<storage, read> y: array<f32>; // backward with an activation: the forward's output

//! include _unary.wgsl

override WG: u32 = 256;

// The workgroup's sums of its invocations' (a, b).
alias Partial = vec2f;
var<workgroup> partial: array<Partial, WG>;
//! include _workgroup_sum.wgsl

fn weightOf(plane: u32) -> f32 {
  return select(1.0, weight[plane % u.channels], u.hasWeight != 0u);
}

@compute @workgroup_size(WG)
fn instanceNorm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let n = f32(u.size);
  for (var plane = wid.x; plane < u.planes; plane += wgs.x) {
    let at = plane * u.size;
    var s = 0.0;
    for (var i = lid.x; i < u.size; i += WG) {
      s += x[at + i];
    }
    let mean = workgroupSum(lid.x, vec2f(s, 0.0)).x / n;
    var squares = 0.0;
    for (var i = lid.x; i < u.size; i += WG) {
      let d = x[at + i] - mean;
      squares += d * d;
    }
    let rstd = 1.0 / sqrt(workgroupSum(lid.x, vec2f(squares, 0.0)).x / n + u.eps);
    // Centred before scaling: x scale - mean scale cancels to nothing where mean is large and rstd too.
    let scale = weightOf(plane) * rstd;
    let bias = select(0.0, third[plane % u.channels], u.hasBias != 0u);
    for (var i = lid.x; i < u.size; i += WG) {
      let v = (x[at + i] - mean) * scale + bias;
      out[at + i] = select(v, unaryOp(u.activation - 1u, v, u.activationAlpha, u.activationAlpha), u.activation > 0u);
    }
    if (lid.x == 0u) {
      side0[plane] = mean;
      side0[u.planes + plane] = rstd;
    }
  }
}

/** The gradient reaching the normalisation at k: dy, taken back through the activation if there is one. */
fn gradientAt(k: u32) -> f32 {
  if (u.activation == 0u) {
    return dy[k];
  }
  return dy[k] * activationSlope(u.activation - 1u, y[k], u.activationAlpha);
}

@compute @workgroup_size(WG)
fn instanceNormBackward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let n = f32(u.size);
  for (var plane = wid.x; plane < u.planes; plane += wgs.x) {
    let at = plane * u.size;
    let mean = third[plane];
    let rstd = third[u.planes + plane];
    var sums = vec2f(0.0, 0.0); // dy, dy (x - mean)
    for (var i = lid.x; i < u.size; i += WG) {
      let g = gradientAt(at + i);
      sums += vec2f(g, g * (x[at + i] - mean));
    }
    let total = workgroupSum(lid.x, sums);
    let sumDyXhat = total.y * rstd;
    if (lid.x == 0u) {
      side0[plane] = sumDyXhat;
      side1[plane] = total.x;
    }
    // dx = w rstd (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - mean) rstd
    let scale = weightOf(plane) * rstd;
    let meanDy = total.x / n;
    let slope = sumDyXhat * rstd / n;
    for (var i = lid.x; i < u.size; i += WG) {
      out[at + i] = scale * (gradientAt(at + i) - meanDy - (x[at + i] - mean) * slope);
    }
  }
}
