// Element-wise kernels: fill, unary maps, an activation's backward, broadcasting binary ops and strided copies.
//
// One invocation per output element, in a grid-stride loop (element i, i + stride, ...) so that any
// size fits the dispatch limit. Broadcasting and copies address their operands through strides: the
// flat output index is split into a multi-index over `shape` (rank at most 6, after the glue has merged
// the axes that need no splitting) and dotted with each operand's strides, 0 along broadcast axes.
// The unary op is an override constant, so each op compiles to its own pipeline without a branch.

struct ElementwiseUniforms {
  shape: array<vec4<u32>, 2>,
  aStrides: array<vec4<u32>, 2>, // binary: a's strides; copy: the source's
  bStrides: array<vec4<u32>, 2>, // binary: b's strides; copy: the destination's
  size: u32,
  rank: u32,
  aOffset: u32, // copy: first source element
  bOffset: u32, // copy: first destination element
  alpha: f32, // fill: the value; unary: the op's first parameter
  beta: f32,
}

@group(0) @binding(0) var<uniform> u: ElementwiseUniforms;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

override WG: u32 = 256;
override OP: u32 = 0; // unary and activationBackward: a unary_* code of kernels/ops.json; binary: a binary_* code

fn strideStep(wgs: vec3u) -> u32 {
  return wgs.x * WG;
}

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

/** Offsets of flat output element `i` under a's and b's strides. */
fn operandOffsets(i: u32) -> vec2u {
  var rest = i;
  var offsets = vec2u(0u, 0u);
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let extent = dim(u.shape, u32(d));
    let index = rest % extent;
    rest /= extent;
    offsets += index * vec2u(dim(u.aStrides, u32(d)), dim(u.bStrides, u32(d)));
  }
  return offsets;
}

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var i = id.x; i < u.size; i += strideStep(wgs)) {
    y[i] = u.alpha;
  }
}

//! include _unary.wgsl

@compute @workgroup_size(WG)
fn unary(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var i = id.x; i < u.size; i += strideStep(wgs)) {
    y[i] = unaryOp(OP, a[i], u.alpha, u.beta);
  }
}

/** dx (y here) = dy (a) taken back through activation OP, its derivative read off its output (b). */
@compute @workgroup_size(WG)
fn activationBackward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var i = id.x; i < u.size; i += strideStep(wgs)) {
    y[i] = a[i] * activationSlope(OP, b[i], u.alpha);
  }
}

fn applyBinary(l: f32, r: f32) -> f32 {
  switch OP {
    case binary_add: { return l + r; }
    case binary_sub: { return l - r; }
    case binary_mul: { return l * r; }
    default: { return l / r; } // binary_div
  }
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var i = id.x; i < u.size; i += strideStep(wgs)) {
    let o = operandOffsets(i);
    y[i] = applyBinary(a[o.x], b[o.y]);
  }
}

@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var i = id.x; i < u.size; i += strideStep(wgs)) {
    let o = operandOffsets(i);
    y[u.bOffset + o.y] = a[u.aOffset + o.x];
  }
}
