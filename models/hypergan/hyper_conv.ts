/**
 * The hyper-network layer of Hyper-GAN (Yang et al., MICCAI 2021): a
 * convolution whose filters are made from a contrast code. Ours is a linear
 * hyper-network, so for a code c in R^C
 *
 *   W(c) = weight[0] + sum_k c_k weight[1 + k],   b(c) = bias[0] + sum_k c_k bias[1 + k]
 *
 * (row 0 is the hyper-network's own bias; with a one-hot code, row 1 + k is
 * contrast k's offset from it). Since a convolution is linear in its filters,
 * conv(x, W(c)) = sum_j coef_j conv(x, weight[j]) with coef = [1, c]: one
 * convolution with all 1 + C filter sets stacked, then a per-sample weighted
 * sum. So each sample may carry its own code, and the stacked weight stays a
 * (reshaped) leaf, which keeps DP-SGD's per-sample filter gradients exact.
 */
import { cat, conv2d, mul, nn, ones, rand, reshape, sum, type Conv2dOptions, type Tensor } from '../../engine/index.js';

export class HyperConv2d extends nn.Module {
  /** [1 + C, out, in, k, k]: the hyper-network's bias row, then one row per contrast. */
  readonly weight: Tensor;
  /** [1 + C, out]. */
  readonly bias: Tensor;

  constructor(
    readonly codeSize: number,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly options: Pick<Conv2dOptions, 'stride' | 'padding' | 'padMode'> = {},
  ) {
    super();
    // Every row drawn as nn.Conv2d draws its filters, U(-1/sqrt(fan-in), 1/sqrt(fan-in)) (ours; the paper's initialisation is not known to us).
    const bound = 1 / Math.sqrt(inChannels * kernelSize * kernelSize);
    this.weight = nn.parameter(rand([1 + codeSize, outChannels, inChannels, kernelSize, kernelSize], { low: -bound, high: bound }));
    this.bias = nn.parameter(rand([1 + codeSize, outChannels], { low: -bound, high: bound }));
  }

  /** x [N, in, H, W] and code [N, C] (one-hot for a contrast) -> [N, out, H', W'] made with W(code_n) for sample n. */
  forward(x: Tensor, code?: Tensor): Tensor {
    const n = x.shape[0]!;
    const rows = 1 + this.codeSize;
    if (!code || code.rank !== 2 || code.shape[0] !== n || code.shape[1] !== this.codeSize) {
      throw new Error(`HyperConv2d: needs a code [${n}, ${this.codeSize}] for input ${x}, got ${code ?? 'none'}`);
    }
    const k = this.kernelSize;
    const stacked = conv2d(x, reshape(this.weight, [rows * this.outChannels, this.inChannels, k, k]), reshape(this.bias, [rows * this.outChannels]), this.options);
    const [outH, outW] = [stacked.shape[2]!, stacked.shape[3]!];
    const coef = reshape(cat([ones([n, 1]), code], 1), [n, rows, 1]);
    const mixed = sum(mul(reshape(stacked, [n, rows, this.outChannels * outH * outW]), coef), [1]);
    return reshape(mixed, [n, this.outChannels, outH, outW]);
  }
}
