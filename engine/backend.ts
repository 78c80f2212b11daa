/**
 * Where tensors live and kernels run.
 *
 * A backend owns storage (`Handle`s) and a closed set of kernels. Every kernel
 * writes into an output handle the caller allocated; none allocates its own
 * output, so the engine decides lifetimes. Sizes are in elements (float32),
 * layouts are NCHW for activations and OIHW for convolution weights, as in
 * PyTorch. Only `read` is async: kernels may be queued and run later, but
 * they are always run in the order they were called.
 */
import type { BinaryOp, LossOp, UnaryOp } from './kernel-ops.generated.js';

/** Storage for `size` float32 values, owned by the backend that made it. */
export interface Handle {
  readonly size: number;
}

export type BackendName = 'js' | 'wasm' | 'webgpu';

/**
 * Element-wise unary and binary kernels' ops: kernels/ops.json lists them,
 * with what each computes (a unary op's scalars are alpha and beta, 0 when
 * unused); the build generates these names from it, and the AssemblyScript
 * and WGSL codes with them.
 */
export { binaryOps, lossOps, unaryOps, type BinaryOp, type LossOp, type UnaryOp } from './kernel-ops.generated.js';
/**
 * The activation a convolution applies after its bias, in the same pass: one
 * of the unary ops above, with its alpha (leakyRelu's slope).
 */
export interface Activation {
  op: 'relu' | 'leakyRelu' | 'tanh';
  alpha: number;
}

/**
 * y[i] = a[offsetA(i)] op b[offsetB(i)] over the output shape, where the
 * offsets use strides that are 0 along broadcast axes. All three arrays have
 * the output's rank (at most 6).
 */
export interface BroadcastGeometry {
  shape: readonly number[];
  aStrides: readonly number[];
  bStrides: readonly number[];
}

/** x viewed as [outer, reduce, inner]; y[o, i] = sum over r of x[o, r, i]. */
export interface ReduceGeometry {
  outer: number;
  reduce: number;
  inner: number;
}

/**
 * Copy of a strided view: for every index in `shape` (rank at most 6),
 * dst[dstOffset + idx . dstStrides] = src[srcOffset + idx . srcStrides].
 * Serves slice, concatenation, zero padding and their gradients.
 */
export interface CopyGeometry {
  shape: readonly number[];
  srcStrides: readonly number[];
  srcOffset: number;
  dstStrides: readonly number[];
  dstOffset: number;
}

/**
 * What conv2dBackwardFilter writes besides dw: dw is [cOut, cIn, kH, kW], or
 * [n, cOut, cIn, kH, kW] when perSample (one gradient per batch entry, for
 * DP-SGD); dBias, when given, is the sum over pixels (and samples unless
 * perSample) of dy, [cOut] (conv2d's bias), or with biasFrom 'x' of x, [cIn]
 * (convTranspose2d's bias, its output's gradient being this kernel's x);
 * [n, channels] when perSample. With accumulate both are added to what they
 * hold (a parameter used twice in a graph), else overwritten.
 */
export interface FilterGradOptions {
  perSample: boolean;
  dBias?: Handle | null;
  biasFrom?: 'dy' | 'x';
  accumulate?: boolean;
}

/** One copy of a `copy` call: from src to dst over the geometry. */
export interface CopyJob {
  src: Handle;
  dst: Handle;
  g: CopyGeometry;
}

/**
 * A 2-d convolution, zero padded, one group, dilation 1:
 * x [n, cIn, inH, inW], w [cOut, cIn, kH, kW], y [n, cOut, outH, outW],
 * outH = floor((inH + 2 padH - kH) / strideH) + 1 (likewise W).
 */
export interface ConvGeometry {
  n: number;
  cIn: number;
  inH: number;
  inW: number;
  cOut: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

/**
 * Batched matrix product y[b] = op(a[b]) op(b[b]), y[b] is [m, n] row-major;
 * op(a) is [m, k] (stored [k, m] when transA), op(b) is [k, n] (stored [n, k]
 * when transB). A batch stride of 0 reuses one matrix for every batch entry.
 */
export interface MatmulGeometry {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  aBatchStride: number;
  bBatchStride: number;
}

/**
 * x [planes, inH, inW] -> y [planes, outH, outW] averaged over kH x kW windows
 * with the given stride and zero padding; with countIncludePad false the
 * divisor counts only the window's cells inside the input.
 */
export interface PoolGeometry {
  planes: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  countIncludePad: boolean;
}

/** x [planes, inH, inW] -> y [planes, inH * scale, inW * scale], nearest neighbour. */
export interface UpsampleGeometry {
  planes: number;
  inH: number;
  inW: number;
  scale: number;
}

/**
 * Reflection padding (PyTorch's ReflectionPad2d, edge not repeated):
 * x [planes, inH, inW] -> y [planes, inH + top + bottom, inW + left + right].
 */
export interface PadGeometry {
  planes: number;
  inH: number;
  inW: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Instance normalisation of `planes` planes of `size` values each (NCHW:
 * planes = N * C, size = H * W); plane p has channel p % channels. An
 * activation, when given, is applied after the affine in the same pass, and
 * the backward pass reads its derivative off the output y (as a
 * convolution's).
 */
export interface NormGeometry {
  planes: number;
  channels: number;
  size: number;
  eps: number;
  activation?: Activation | null;
}

/** One torch.optim.Adam step's hyperparameters, shared by every parameter of the step: betas, eps, L2 weight decay. */
export interface AdamStep {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * One parameter of an Adam step: the parameter, its gradient and its two
 * moments (param.size values each), and its own bias corrections,
 * stepSize = lr / (1 - beta1^t) and sqrtCorrection2 = sqrt(1 - beta2^t) for
 * the parameter's own step count t (PyTorch counts steps per parameter).
 */
export interface AdamEntry {
  param: Handle;
  grad: Handle;
  m: Handle;
  v: Handle;
  stepSize: number;
  sqrtCorrection2: number;
}

/**
 * A stream of counter-based random numbers: Philox 4x32-10 keyed by
 * (seed, seedHigh), its counter (block, counter, 0, 0) for blocks of four
 * draws. All are whole numbers in [0, 2^32). Different counters under one
 * key give independent streams, and every backend gives the same numbers.
 * DP noise draws both seed words per step: a 32-bit seed alone would repeat
 * within a long run (birthday bound: even odds by 77,000 keys).
 */
export interface RandomKey {
  seed: number;
  /** Philox's second key word, the 64-bit seed's high half; 0 when not given. */
  seedHigh?: number;
  counter: number;
}

/**
 * DP-SGD's clipped sums over a list of per-sample gradients: x_k is
 * [batch, size_k] and y_k[i] = scale * (sum over n of factors[n] x_k[n, i] +
 * noiseStd * z_k[i]), z_k the normals of the stream key with counter
 * key.counter + k (as randomNormal draws them). A sample whose factor is 0
 * or NaN (a non-finite norm's) is left out, whatever its gradient holds (0
 * times NaN would be NaN): a unit whose gradient is not finite adds nothing,
 * a contribution within any clipping bound, so the noisy sum stays what the
 * DP analysis covers.
 */
export interface ClippedSumGeometry {
  batch: number;
  noiseStd: number;
  scale: number;
  key: Required<RandomKey>;
}

export interface MemoryInfo {
  /** Handles allocated and not yet freed. */
  handles: number;
  /** Bytes held by those handles. */
  bytes: number;
}

export interface Backend {
  readonly name: BackendName;
  /** One line for people: the adapter, the thread count, ... */
  describe(): string;

  /**
   * A new handle of `size` zeros; with contents 'any', of whatever its memory
   * held, for a kernel's output that the kernel writes whole before anything
   * reads it (every kernel writes each element of its outputs but those it
   * accumulates into; the kernel table checks it). wasm then skips its zeroing
   * pass; js and webgpu give zeros either way.
   */
  alloc(size: number, contents?: 'zeros' | 'any'): Handle;
  /** Overwrites all of `h` with `values` (values.length === h.size). */
  write(h: Handle, values: Float32Array): void;
  /** A copy of the values, after every kernel queued so far has run. */
  read(h: Handle): Promise<Float32Array>;
  /** Returns the storage; `h` must not be used afterwards. */
  free(h: Handle): void;
  memory(): MemoryInfo;
  /**
   * Optional: the device time in milliseconds of the kernels `run` queues,
   * measured on the device (webgpu: timestamp queries); null when this
   * adapter cannot time. Benchmarks fall back to wall time around a read.
   */
  timeKernels?(run: () => void): Promise<number | null>;

  /** y[i] = value for every element of y. */
  fill(y: Handle, value: number): void;
  /** y[i] = op(x[i]) for i < y.size. */
  unary(op: UnaryOp, x: Handle, y: Handle, alpha: number, beta: number): void;
  binary(op: BinaryOp, a: Handle, b: Handle, y: Handle, g: BroadcastGeometry): void;
  reduceSum(x: Handle, y: Handle, g: ReduceGeometry): void;
  /**
   * dx = dy taken back through an activation, its derivative read off the
   * activation's output y (relu, and leakyRelu with a slope >= 0: y > 0
   * exactly where the input is; tanh: 1 - y^2), in one pass: the backward of
   * a convolution that applied it, and of tanh.
   */
  activationBackward(dy: Handle, y: Handle, dx: Handle, activation: Activation): void;
  /** Several strided copies in one call (a concatenation's parts, a gradient's slices), in order. */
  copy(copies: readonly CopyJob[]): void;

  /** y = activation(conv(x, w) + bias) (bias [cOut] or null; no activation when null). */
  conv2d(x: Handle, w: Handle, bias: Handle | null, y: Handle, g: ConvGeometry, activation?: Activation | null): void;
  /**
   * dx = the gradient of conv2d with respect to x, given dy [n, cOut, outH,
   * outW]. Overwrites dx. convTranspose2d's forward is this kernel, so it too
   * takes a bias ([cIn]) and an activation, applied as conv2d applies them.
   */
  conv2dBackwardData(dy: Handle, w: Handle, dx: Handle, g: ConvGeometry, bias?: Handle | null, activation?: Activation | null): void;
  /**
   * dw = the gradient of conv2d with respect to w, and with o.dBias the
   * bias's (dy summed over pixels and samples) in the same call; see
   * FilterGradOptions.
   */
  conv2dBackwardFilter(x: Handle, dy: Handle, dw: Handle, g: ConvGeometry, o: FilterGradOptions): void;
  matmul(a: Handle, b: Handle, y: Handle, g: MatmulGeometry): void;

  avgPool2d(x: Handle, y: Handle, g: PoolGeometry): void;
  /** dx = the gradient of avgPool2d, given dy [planes, outH, outW]. Overwrites dx. */
  avgPool2dBackward(dy: Handle, dx: Handle, g: PoolGeometry): void;
  upsampleNearest(x: Handle, y: Handle, g: UpsampleGeometry): void;
  /** dx[p, i, j] = sum of dy over the scale x scale block that (i, j) was copied to. */
  upsampleNearestBackward(dy: Handle, dx: Handle, g: UpsampleGeometry): void;
  padReflect(x: Handle, y: Handle, g: PadGeometry): void;
  /** dx = the gradient of padReflect: each dy cell added to the x cell it was copied from. */
  padReflectBackward(dy: Handle, dx: Handle, g: PadGeometry): void;

  /**
   * y = activation((x - mean) * rstd * weight[c] + bias[c]) per plane (biased variance,
   * rstd = 1 / sqrt(var + eps); weight and bias [channels] or null; no activation when
   * g.activation is absent), and
   * stats [2 * planes] = each plane's mean, then each plane's rstd, for the backward pass.
   */
  instanceNorm(x: Handle, weight: Handle | null, bias: Handle | null, y: Handle, stats: Handle, g: NormGeometry): void;
  /**
   * The gradient of instanceNorm given dy and its stats: dx, and per plane
   * dWeight[p] = sum of dy * xhat and dBias[p] = sum of dy (the affine
   * parameters' per-sample gradients, [N, C]). Overwrites all three. With
   * g.activation, dy is first taken back through it, its derivative read off
   * y, the forward's output (y is read only then).
   */
  instanceNormBackward(x: Handle, stats: Handle, dy: Handle, weight: Handle | null, dx: Handle, dWeight: Handle, dBias: Handle, g: NormGeometry, y?: Handle | null): void;

  /**
   * squares[n] = sum over every x of the squares of x's sample n, each x being
   * [squares.size, ...] (the joint per-sample norm of a group of gradients), in one call.
   */
  sumSquaresPerSample(xs: readonly Handle[], squares: Handle): void;
  /** DP-SGD's clipped, noised and scaled sums of a list of per-sample gradients (ClippedSumGeometry), in one call. Overwrites every y. */
  clippedSumWithNoise(xs: readonly Handle[], factors: Handle, ys: readonly Handle[], g: ClippedSumGeometry): void;

  /**
   * One Adam step in place over a list of parameters, in one call, element by
   * element as PyTorch computes it: g = grad + weightDecay * param;
   * m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
   * param -= stepSize * m / (sqrt(v) / sqrtCorrection2 + eps).
   * param, m and v are updated; grad is read.
   */
  adam(entries: readonly AdamEntry[], s: AdamStep): void;

  /**
   * A point-wise loss's mean, in one pass: y[0] = the mean over i < a.size of
   * op(a[i] - b[i]) (kernels/ops.json's loss ops: l1, mse), b of a's size or,
   * when null, the constant `target` everywhere.
   */
  pointLoss(op: LossOp, a: Handle, b: Handle | null, target: number, y: Handle): void;
  /**
   * Its gradient with respect to a, in one pass: da[i] = dy[0] * op'(a[i] - b[i]) / a.size,
   * dy being the loss's one-value gradient (read on the device). b's gradient is -da.
   */
  pointLossBackward(op: LossOp, a: Handle, b: Handle | null, target: number, dy: Handle, da: Handle): void;

  /**
   * y[i] = the i-th standard normal of the stream `key`: block i / 4's four
   * Philox outputs, paired by Box-Muller (engine/backends/js/random.ts
   * defines it), lane i % 4. Equal across backends to float tolerance (the
   * integers exactly; log, cos and sin to their precision).
   */
  randomNormal(y: Handle, key: Required<RandomKey>): void;
}

/** Thrown when a backend cannot start here (no adapter, no WebAssembly threads, ...). */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/** Thrown when a handle is used after `free`, or with a backend that did not make it. */
export class HandleError extends Error {
  override name = 'HandleError';
}
