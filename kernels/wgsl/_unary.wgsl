// The unary ops of kernels/ops.json, by their generated codes, with their parameters alpha and beta:
// the element-wise unary kernel, and the activation that conv.wgsl and norm.wgsl apply in their pass.
// A fragment: the shaders that use it include it (scripts/embed-wgsl.mjs), and it includes the codes.

//! include _ops.generated.wgsl

// WGSL's min, max and clamp may return either operand when one is NaN (lavapipe returns the bound), and a
// compiler may assume x != x is false, so NaN is told by its bits: js, wasm and PyTorch keep NaN.
fn isNan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn unaryOp(op: u32, x: f32, alpha: f32, beta: f32) -> f32 {
  switch op {
    case unary_affine: { return alpha * x + beta; }
    case unary_abs: { return abs(x); }
    case unary_sign: { return sign(x); }
    case unary_square: { return x * x; }
    case unary_sqrt: { return sqrt(x); }
    case unary_exp: { return exp(x); }
    case unary_log: { return log(x); }
    case unary_relu: { return select(max(x, 0.0), x, isNan(x)); }
    case unary_step: { return select(0.0, 1.0, x > 0.0 || isNan(x)); } // 1 at NaN, as PyTorch's threshold_backward
    // tanh(10) is 1 in float32; clamping keeps exp-based tanh implementations from overflowing to NaN.
    case unary_tanh: { return select(tanh(clamp(x, -10.0, 10.0)), x, isNan(x)); }
    case unary_sigmoid: { // without exp overflow on either side
      let e = exp(-abs(x));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
    }
    case unary_leakyRelu: { return select(alpha * x, x, x > 0.0); }
    case unary_leakyReluGrad: { return select(alpha, 1.0, x > 0.0); }
    case unary_clamp: { return select(min(max(x, alpha), beta), x, isNan(x)); }
    default: { return x; }
  }
}

/**
 * The derivative of activation `op` (relu, leakyRelu with alpha >= 0, tanh) read off its output y:
 * y > 0 exactly where the input is; d tanh = 1 - y^2.
 */
fn activationSlope(op: u32, y: f32, alpha: f32) -> f32 {
  switch op {
    case unary_tanh: { return 1.0 - y * y; }
    case unary_relu: { return unaryOp(unary_step, y, alpha, alpha); }
    default: { return unaryOp(unary_leakyReluGrad, y, alpha, alpha); }
  }
}
