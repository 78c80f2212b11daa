// The unary ops of engine/backend.ts `unaryOps`, by index, with their parameters alpha and beta:
// the element-wise unary kernel, and the activation that conv.wgsl applies after a bias.
// A fragment: the shaders that use it include it (scripts/embed-wgsl.mjs).

fn unaryOp(op: u32, x: f32, alpha: f32, beta: f32) -> f32 {
  switch op {
    case 0u: { return alpha * x + beta; } // affine
    case 1u: { return abs(x); }
    case 2u: { return sign(x); }
    case 3u: { return x * x; } // square
    case 4u: { return sqrt(x); }
    case 5u: { return exp(x); }
    case 6u: { return log(x); }
    case 7u: { return max(x, 0.0); } // relu
    case 8u: { return select(0.0, 1.0, x > 0.0); } // step
    // tanh(10) is 1 in float32; clamping keeps exp-based tanh implementations from overflowing to NaN.
    case 9u: { return tanh(clamp(x, -10.0, 10.0)); }
    case 10u: { // sigmoid, without exp overflow on either side
      let e = exp(-abs(x));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
    }
    case 11u: { return select(alpha * x, x, x > 0.0); } // leakyRelu
    case 12u: { return select(alpha, 1.0, x > 0.0); } // leakyReluGrad
    default: { return min(max(x, alpha), beta); } // clamp
  }
}
