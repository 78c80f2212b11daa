/**
 * MUNIT's decoder (DESIGN.md, "The reference code", Models; keys as the reference's Decoder):
 * a content code and a style code to an image. Width w = 64 in the paper
 * (5,425,793 parameters).
 *
 * | key | layers | output at 256 |
 * |---|---|---|
 * | model.0-2 | 3 residual blocks with AdaIN | 4w x 64 |
 * | model.3-6 | Upsample x2, Conv5x5 pad 2 4w->2w, LayerNorm, ReLU | 2w x 128 |
 * | model.7-10 | Upsample x2, Conv5x5 pad 2 2w->w, LayerNorm, ReLU | w x 256 |
 * | model.11-13 | ReflPad3, Conv7x7 w->1, Tanh | 1 x 256 |
 * | mlp.model.0, 2, 4 | Linear 8->4w, ReLU, 4w->4w, ReLU, 4w->48w | the 6 AdaIN layers' [mean, std] |
 *
 * LayerNorm: per sample over C x H x W, unbiased std + 1e-5, per-channel
 * gamma (uniform [0, 1) at init) and beta.
 */
import { nn, reshape, slice, type Tensor } from '../../engine/index.js';
import { styleDim } from './encoder.js';
import { type AdaptiveInstanceNorm2d, MunitResidualBlock } from './residual.js';

export class MLP extends nn.Module {
  readonly model: nn.Sequential;

  constructor(inFeatures: number, outFeatures: number, hidden: number) {
    super();
    this.model = new nn.Sequential(
      new nn.Linear(inFeatures, hidden),
      nn.ReLU(),
      new nn.Linear(hidden, hidden),
      nn.ReLU(),
      new nn.Linear(hidden, outFeatures),
    );
  }

  /** x: [N, ...] flattened to [N, inFeatures]. */
  forward(x: Tensor): Tensor {
    return this.model.forward(reshape(x, [x.shape[0]!, -1]));
  }
}

export class MunitDecoder extends nn.Module {
  readonly model: nn.Sequential;
  readonly mlp: MLP;
  readonly #adaIns: AdaptiveInstanceNorm2d[];

  constructor(width: number) {
    super();
    const c = 4 * width;
    const blocks = [0, 1, 2].map(() => new MunitResidualBlock(c, 'adain'));
    const layers: nn.Module[] = [...blocks];
    for (const cin of [c, c / 2]) {
      layers.push(nn.Upsample(2), new nn.Conv2d(cin, cin / 2, 5, { padding: 2 }), new nn.LayerNorm(cin / 2, { eps: 1e-5 }), nn.ReLU());
    }
    layers.push(nn.ReflectionPad2d(3), new nn.Conv2d(width, 1, 7), nn.Tanh());
    this.model = new nn.Sequential(...layers);
    this.#adaIns = blocks.flatMap((b) => b.adaIns());
    // The MLP's hidden width is 256 at w = 64, as the reference's.
    this.mlp = new MLP(styleDim, this.#adaIns.reduce((n, m) => n + 2 * m.numFeatures, 0), 4 * width);
  }

  /** content: [N, 4w, h, w], style: [N, 8, 1, 1] -> [N, 1, 4h, 4w] in (-1, 1). */
  forward(content: Tensor, style?: Tensor): Tensor {
    if (!style) throw new Error('MunitDecoder.forward: needs a style code [N, 8, 1, 1]');
    const n = content.shape[0]!;
    if (style.shape[0] !== n || style.size !== n * styleDim) throw new Error(`MunitDecoder: style ${style} does not fit content ${content}`);
    // The MLP's output, per AdaIN layer in order: [mean (C values), std (C values)].
    const params = this.mlp.forward(style);
    let offset = 0;
    for (const norm of this.#adaIns) {
      const channels = norm.numFeatures;
      norm.assign(slice(params, [0, offset], [n, channels]), slice(params, [0, offset + channels], [n, channels]));
      offset += 2 * channels;
    }
    try {
      return this.model.forward(content);
    } finally {
      for (const norm of this.#adaIns) norm.clear();
    }
  }
}
