/**
 * Normalisation layers. Instance norm is a kernel of its own, forward and
 * backward; layer norm is composed from recorded ops, so that its gradients
 * (and per-sample gradients of its affine parameters) come from the tape.
 * None of them couples samples, as DP-SGD requires.
 */
import { state } from '../state.js';
import { record, wantsPerSample } from '../tape.js';
import { output, type Tensor } from '../tensor.js';
import { activationOf, add, div, mul, neg, square, sub, unaryKernel, type ActivationOptions } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { reshape } from './shape.js';

function channelView(p: Tensor, channels: number, op: string): Tensor {
  if (p.size !== channels) throw new Error(`${op}: parameter ${p} should have ${channels} values`);
  return reshape(p, [1, channels, 1, 1]);
}

function requireNCHW(x: Tensor, op: string): void {
  if (x.rank !== 4) throw new Error(`${op}: needs an NCHW tensor, got ${x}`);
}

export interface InstanceNormOptions extends ActivationOptions {
  /** Per-channel scale gamma [C] (affine=True in PyTorch). */
  weight?: Tensor;
  /** Per-channel shift beta [C]. */
  bias?: Tensor;
  eps?: number;
}

/**
 * torch.nn.functional.instance_norm: each (sample, channel) plane to mean 0,
 * biased variance 1, then weight and bias per channel, then the activation
 * if one is given ({ activation: 'leakyRelu', slope: 0.2 } gives
 * F.leaky_relu(F.instance_norm(...), 0.2)). One kernel forward and one
 * backward, which also gives the affine parameters' gradients (per sample
 * in a per-sample backward pass).
 */
export function instanceNorm(x: Tensor, options: InstanceNormOptions = {}): Tensor {
  requireNCHW(x, 'instanceNorm');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const { weight, bias } = options;
  for (const p of [weight, bias]) if (p && p.size !== c) throw new Error(`instanceNorm: parameter ${p} should have ${c} values`);
  const g = { planes: n * c, channels: c, size: h * w, eps: options.eps ?? 1e-5, activation: activationOf(options, 'instanceNorm') };
  const y = output(x.shape);
  const stats = output([2, n * c]);
  state.backend.instanceNorm(x.handle, weight?.handle ?? null, bias?.handle ?? null, y.handle, stats.handle, g);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record('instanceNorm', y, inputs, (dy) => {
    const dx = output(x.shape);
    const [dWeight, dBias] = [output([n, c]), output([n, c])];
    state.backend.instanceNormBackward(x.handle, stats.handle, dy.handle, weight?.handle ?? null, dx.handle, dWeight.handle, dBias.handle, g, g.activation ? y.handle : null);
    const perChannel = (d: Tensor, p: Tensor) => (wantsPerSample(p) ? d : sum(d, [0]));
    return [dx, ...(weight ? [perChannel(dWeight, weight)] : []), ...(bias ? [perChannel(dBias, bias)] : [])];
  });
}

export interface LayerNormOptions {
  weight?: Tensor;
  bias?: Tensor;
  eps?: number;
}

/**
 * MUNIT's LayerNorm: per sample over C x H x W, (x - mean) / (std + eps)
 * with the unbiased std, then per-channel gamma and beta.
 */
export function layerNorm(x: Tensor, options: LayerNormOptions = {}): Tensor {
  requireNCHW(x, 'layerNorm');
  const eps = options.eps ?? 1e-5;
  const count = x.size / x.shape[0]!;
  if (count < 2) throw new Error(`layerNorm: needs at least 2 values per sample, ${x} has ${count}`);
  const centred = sub(x, mean(x, [1, 2, 3], true));
  const unbiasedVariance = mul(sum(square(centred), [1, 2, 3], true), 1 / (count - 1));
  const normalised = div(centred, add(standardDeviation(unbiasedVariance), eps));
  return affineChannels(normalised, options.weight, options.bias, 'layerNorm');
}

/**
 * sqrt(variance) as a standard deviation: where it is 0 (a constant sample) its gradient is 0,
 * as PyTorch's std_backward masks it (FunctionsManual.cpp), where sqrt's 1 / (2 sqrt x) gives 0 / 0.
 */
function standardDeviation(variance: Tensor): Tensor {
  const std = unaryKernel('sqrt', variance);
  return record('std', std, [variance], (dy) => {
    const positive = unaryKernel('step', std); // 0 where std is 0, else 1
    // positive / (2 std + 1 - positive): 1 / (2 std), or 0 / 1 where std is 0.
    return [mul(dy, div(positive, add(unaryKernel('affine', std, 2, 1), neg(positive))))];
  });
}

function affineChannels(x: Tensor, weight: Tensor | undefined, bias: Tensor | undefined, op: string): Tensor {
  const channels = x.shape[1]!;
  const scaled = weight ? mul(x, channelView(weight, channels, op)) : x;
  return bias ? add(scaled, channelView(bias, channels, op)) : scaled;
}

/**
 * Adaptive instance normalisation (MUNIT): each (sample, channel) plane
 * normalised (biased variance, eps 1e-5), then scaled by `std` and shifted by
 * `mean`, both [N, C] (or [N, C, 1, 1]).
 */
export function adaIn(x: Tensor, meanValues: Tensor, std: Tensor, eps = 1e-5): Tensor {
  requireNCHW(x, 'adaIn');
  const [n, c] = x.shape as [number, number];
  for (const [name, t] of [['mean', meanValues], ['std', std]] as const) {
    if (t.size !== n * c) throw new Error(`adaIn: ${name} ${t} should have ${n}x${c} values`);
  }
  const normalised = instanceNorm(x, { eps });
  return add(mul(normalised, reshape(std, [n, c, 1, 1])), reshape(meanValues, [n, c, 1, 1]));
}
