// Resampling and padding of [planes, h, w] maps: average pooling, nearest upsampling, reflection
// padding, and their gradients.
//
// One invocation per output element, in a grid-stride loop. The gradients gather instead of
// scattering: each dx cell finds the dy cells it contributed to (the pooling windows that cover it,
// the scale x scale block it was copied to, the up to three padded cells per axis that mirror it), so
// no two invocations write the same cell and no atomics are needed.

struct ResampleUniforms {
  planes: u32,
  inH: u32, inW: u32,
  outH: u32, outW: u32,
  // avgPool2d
  kH: u32, kW: u32,
  strideH: u32, strideW: u32,
  // avgPool2d: zero padding; padReflect: rows added on top, columns on the left (the rest follows from outH, outW)
  padH: u32, padW: u32,
  countIncludePad: u32,
  // upsampleNearest
  scale: u32,
}

@group(0) @binding(0) var<uniform> u: ResampleUniforms;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

override WG: u32 = 256;

fn strideStep(wgs: vec3u) -> u32 {
  return wgs.x * WG;
}

/** Splits a flat index over [planes, h, w] into (plane, row, column). */
fn cell(i: u32, h: u32, w: u32) -> vec3u {
  return vec3u(i / (h * w), (i / w) % h, i % w);
}

/** The pooling window of output (i, j): its first row and column, and 1 / divisor. */
struct Window {
  r0: i32,
  c0: i32,
  scale: f32,
}

fn windowOf(i: u32, j: u32) -> Window {
  let r0 = i32(i * u.strideH) - i32(u.padH);
  let c0 = i32(j * u.strideW) - i32(u.padW);
  let inH = i32(u.inH);
  let inW = i32(u.inW);
  var rows = min(r0 + i32(u.kH), inH) - max(r0, 0);
  var cols = min(c0 + i32(u.kW), inW) - max(c0, 0);
  if (u.countIncludePad == 1u) { // PyTorch counts padding cells, never cells beyond it
    rows = min(r0 + i32(u.kH), inH + i32(u.padH)) - r0;
    cols = min(c0 + i32(u.kW), inW + i32(u.padW)) - c0;
  }
  return Window(r0, c0, 1.0 / f32(rows * cols));
}

@compute @workgroup_size(WG)
fn avgPool2d(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var out = id.x; out < u.planes * u.outH * u.outW; out += strideStep(wgs)) {
    let c = cell(out, u.outH, u.outW);
    let win = windowOf(c.y, c.z);
    var s = 0.0;
    for (var r = max(win.r0, 0); r < min(win.r0 + i32(u.kH), i32(u.inH)); r++) {
      for (var q = max(win.c0, 0); q < min(win.c0 + i32(u.kW), i32(u.inW)); q++) {
        s += x[(c.x * u.inH + u32(r)) * u.inW + u32(q)];
      }
    }
    y[out] = s * win.scale;
  }
}

/** The outputs whose windows cover input index `r`: [first, last] along one axis. */
fn coveringOutputs(r: u32, k: u32, stride: u32, pad: u32, outSize: u32) -> vec2i {
  let shifted = i32(r + pad);
  let first = max((shifted - i32(k) + i32(stride)) / i32(stride), 0); // ceil((shifted - k + 1) / stride)
  let last = min(shifted / i32(stride), i32(outSize) - 1);
  return vec2i(first, last);
}

@compute @workgroup_size(WG)
fn avgPool2dBackward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  // Here x is dy [planes, outH, outW] and y is dx [planes, inH, inW].
  for (var out = id.x; out < u.planes * u.inH * u.inW; out += strideStep(wgs)) {
    let c = cell(out, u.inH, u.inW);
    let rows = coveringOutputs(c.y, u.kH, u.strideH, u.padH, u.outH);
    let cols = coveringOutputs(c.z, u.kW, u.strideW, u.padW, u.outW);
    var s = 0.0;
    for (var i = rows.x; i <= rows.y; i++) {
      for (var j = cols.x; j <= cols.y; j++) {
        s += x[(c.x * u.outH + u32(i)) * u.outW + u32(j)] * windowOf(u32(i), u32(j)).scale;
      }
    }
    y[out] = s;
  }
}

@compute @workgroup_size(WG)
fn upsampleNearest(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let outH = u.inH * u.scale;
  let outW = u.inW * u.scale;
  for (var out = id.x; out < u.planes * outH * outW; out += strideStep(wgs)) {
    let c = cell(out, outH, outW);
    y[out] = x[(c.x * u.inH + c.y / u.scale) * u.inW + c.z / u.scale];
  }
}

@compute @workgroup_size(WG)
fn upsampleNearestBackward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  let outH = u.inH * u.scale;
  let outW = u.inW * u.scale;
  for (var out = id.x; out < u.planes * u.inH * u.inW; out += strideStep(wgs)) {
    let c = cell(out, u.inH, u.inW);
    var s = 0.0;
    for (var a = 0u; a < u.scale; a++) {
      for (var b = 0u; b < u.scale; b++) {
        s += x[(c.x * outH + c.y * u.scale + a) * outW + c.z * u.scale + b];
      }
    }
    y[out] = s;
  }
}

/** PyTorch's reflection of padded index i (may be negative) into [0, n): -1 maps to 1, n to n - 2. */
fn reflect(i: i32, n: i32) -> u32 {
  return u32(select(select(i, 2 * (n - 1) - i, i >= n), -i, i < 0));
}

@compute @workgroup_size(WG)
fn padReflect(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  for (var out = id.x; out < u.planes * u.outH * u.outW; out += strideStep(wgs)) {
    let c = cell(out, u.outH, u.outW);
    let r = reflect(i32(c.y) - i32(u.padH), i32(u.inH));
    let q = reflect(i32(c.z) - i32(u.padW), i32(u.inW));
    y[out] = x[(c.x * u.inH + r) * u.inW + q];
  }
}

/**
 * The padded indices along one axis that reflect onto input index r, as up to three values (-1 when
 * absent): r itself, its mirror in the leading pad, its mirror in the trailing pad.
 */
fn mirrors(r: u32, n: u32, lead: u32, outSize: u32) -> vec3i {
  let direct = i32(r + lead);
  let before = select(-1, i32(lead) - i32(r), r > 0u && r <= lead);
  let after = i32(lead) + 2 * (i32(n) - 1) - i32(r);
  return vec3i(direct, before, select(-1, after, r + 1u < n && after < i32(outSize)));
}

@compute @workgroup_size(WG)
fn padReflectBackward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) wgs: vec3u) {
  // Here x is dy [planes, outH, outW] and y is dx [planes, inH, inW].
  for (var out = id.x; out < u.planes * u.inH * u.inW; out += strideStep(wgs)) {
    let c = cell(out, u.inH, u.inW);
    let rows = mirrors(c.y, u.inH, u.padH, u.outH);
    let cols = mirrors(c.z, u.inW, u.padW, u.outW);
    var s = 0.0;
    for (var a = 0u; a < 3u; a++) {
      for (var b = 0u; b < 3u; b++) {
        if (rows[a] >= 0 && cols[b] >= 0) {
          s += x[(c.x * u.outH + u32(rows[a])) * u.outW + u32(cols[b])];
        }
      }
    }
    y[out] = s;
  }
}
