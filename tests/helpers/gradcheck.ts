/**
 * Finite-difference gradient checks. For a function f of float32 tensors,
 * the analytic gradient of the random linear functional L = sum(f(x) * r)
 * (one backward pass) is compared with central differences
 * (L(x + h e_k) - L(x - h e_k)) / (2h) for every element k of every checked
 * input. L is summed in float64 from the float32 outputs, and h is the
 * difference of the two float32-rounded inputs, so the only errors are the
 * forward pass's own float32 rounding and the O(h^2) truncation.
 */
import * as assert from 'uvu/assert';
import { mul, noGrad, randn, Rng, sum, tensor, tidy, type Tensor } from '../../engine/index.js';

export interface GradCheckOptions {
  /** Step h before rounding; inputs are O(1), so 1e-2 keeps float32 noise near 1e-5 of the gradient. */
  eps?: number;
  /**
   * Allowed max |analytic - numeric| over max |numeric|, per input. 1e-3 by
   * default: the engine's ops land near 1e-5, 1/x near 4e-4 (truncation).
   */
  tolerance?: number;
  /** Indices of the inputs to differentiate (all by default); the others are constants. */
  wrt?: readonly number[];
  /** Seed of the functional's weights r. */
  seed?: number;
}

/** Plain values of an input: shape and float32 data. */
interface Values {
  shape: readonly number[];
  data: Float32Array;
}

/**
 * Asserts that the gradients of `fn` at `inputs` match central differences.
 * `inputs` are only read; fn must be a pure function of its arguments.
 */
export async function gradCheck(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradCheckOptions = {}): Promise<void> {
  const eps = options.eps ?? 1e-2;
  const tolerance = options.tolerance ?? 1e-3;
  const wrt = options.wrt ?? inputs.map((_, i) => i);
  const values: Values[] = await Promise.all(inputs.map(async (t) => ({ shape: t.shape, data: await t.data() })));

  // Analytic: one backward pass of L = sum(f(x) * r).
  const { leaves, r } = tidy(() => {
    const xs = values.map((v, i) => tensor(v.data, v.shape, { requiresGrad: wrt.includes(i) }));
    const y = fn(...xs);
    const weights = randn(y.shape, { rng: new Rng(options.seed ?? 1) });
    sum(mul(y, weights)).backward();
    return { leaves: xs, r: weights };
  });
  const weights = await r.data();
  r.dispose();
  const analytic: Float32Array[] = [];
  for (const i of wrt) {
    const g = leaves[i]!.grad;
    if (g) assert.equal([...g.shape], [...values[i]!.shape], `${name}: gradient of input ${i} has shape [${g.shape}]`);
    analytic.push(g ? await g.data() : new Float32Array(values[i]!.data.length));
  }
  leaves.forEach((t) => t.dispose());

  // Numeric: central differences, input by input, element by element.
  for (const [slot, i] of wrt.entries()) {
    const numeric = new Float64Array(values[i]!.data.length);
    for (let k = 0; k < numeric.length; k++) {
      const plus = perturbed(values[i]!, k, eps);
      const minus = perturbed(values[i]!, k, -eps);
      const h = plus.data[k]! - minus.data[k]!;
      numeric[k] = ((await functional(fn, values, i, plus, weights)) - (await functional(fn, values, i, minus, weights))) / h;
    }
    compare(`${name}: input ${i} [${values[i]!.shape}]`, analytic[slot]!, numeric, tolerance);
  }
}

function perturbed(v: Values, k: number, delta: number): Values {
  const data = v.data.slice();
  data[k] = data[k]! + delta;
  return { shape: v.shape, data };
}

/** L = sum(f(x) * r) in float64, with input `i` replaced by `replacement`. */
async function functional(fn: (...xs: Tensor[]) => Tensor, values: Values[], i: number, replacement: Values, weights: Float32Array): Promise<number> {
  const y = noGrad(() => tidy(() => fn(...values.map((v, j) => (j === i ? tensor(replacement.data, replacement.shape) : tensor(v.data, v.shape))))));
  const out = await y.data();
  y.dispose();
  let total = 0;
  for (let j = 0; j < out.length; j++) total += out[j]! * weights[j]!;
  return total;
}

function compare(what: string, analytic: Float32Array, numeric: Float64Array, tolerance: number): void {
  let worst = 0;
  let at = 0;
  let scale = 0;
  for (let k = 0; k < numeric.length; k++) {
    scale = Math.max(scale, Math.abs(numeric[k]!));
    const d = Math.abs(analytic[k]! - numeric[k]!);
    if (!(d <= worst)) {
      worst = d;
      at = k;
    }
  }
  assert.ok(scale > 0 || worst === 0, `${what}: numeric gradient is all zero but analytic is not`);
  const error = worst / Math.max(scale, 1e-12);
  assert.ok(
    error <= tolerance,
    `${what}: gradient error ${error.toExponential(2)} > ${tolerance} at element ${at} (analytic ${analytic[at]}, numeric ${numeric[at]})`,
  );
}

/**
 * Standard normal values at least `margin` away from every kink (for relu,
 * abs, clamp, ...), where central differences would straddle the corner.
 */
export function randAwayFrom(shape: readonly number[], kinks: readonly number[], rng: Rng, margin = 0.05): Tensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) {
    let v = rng.normal();
    while (kinks.some((k) => Math.abs(v - k) < margin)) v = rng.normal();
    values[i] = v;
  }
  return tensor(values, shape);
}
