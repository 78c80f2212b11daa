// The unary ops of kernels/ops.json, by their generated codes, with their parameters alpha and beta:
// the element-wise unary kernel, and the activation that conv.wgsl and norm.wgsl apply in their pass.
// A fragment: the shaders that use it include it (scripts/embed-wgsl.mjs), and it includes the codes.

//! include _ops.generated.wgsl

fn unaryOp(op: u32, x: f32, alpha: f32, beta: f32) -> f32 {
  switch op {
    case unary_affine: { return alpha * x + beta; }
    case unary_abs: { return abs(x); }
    case unary_sign: { return sign(x); }
    case unary_square: { return x * x; }
    case unary_sqrt: { return sqrt(x); }
    case unary_exp: { return exp(x); }
    case unary_log: { return log(x); }
    case unary_relu: { return max(x, 0.0); }
    case unary_step: { return select(0.0, 1.0, x > 0.0); }
    // tanh(10) is 1 in float32; clamping keeps exp-based tanh implementations from overflowing to NaN.
    case unary_tanh: { return tanh(clamp(x, -10.0, 10.0)); }
    case unary_sigmoid: { // without exp overflow on either side
      let e = exp(-abs(x));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
    }
    case unary_leakyRelu: { return select(alpha * x, x, x > 0.0); }
    case unary_leakyReluGrad: { return select(alpha, 1.0, x > 0.0); }
    case unary_clamp: { return min(max(x, alpha), beta); }
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
