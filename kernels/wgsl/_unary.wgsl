// The unary ops of kernels/ops.json, by their generated codes, with their parameters alpha and beta:
// the element-wise unary kernel, and the activation that conv.wgsl applies after a bias.
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
