/**
 * MUNIT's encoder (DESIGN.md, "The reference code", Models; keys as the reference's
 * model/munit/munit.py Encoder): a content code and a style code per image.
 * Width w = 64 in the paper (4,860,424 parameters).
 *
 * | key | layers | output at 256 |
 * |---|---|---|
 * | content_encoder.model.0-3 | ReflPad3, Conv7x7 1->w, IN, ReLU | w x 256 |
 * | content_encoder.model.4-9 | 2x [Conv4x4 s2, IN, ReLU]: w->2w->4w | 4w x 64 |
 * | content_encoder.model.10-12 | 3 residual blocks (IN) | 4w x 64: the content code |
 * | style_encoder.model.0-2 | ReflPad3, Conv7x7 1->w, ReLU (no norm) | w x 256 |
 * | style_encoder.model.3-6 | 2x [Conv4x4 s2, ReLU]: w->2w->4w | 4w x 64 |
 * | style_encoder.model.7-8 | global average pool, Conv1x1 4w->8 | 8 x 1 x 1: the style code |
 */
import { adaptiveAvgPool2d, nn, type Tensor } from '../../engine/index.js';
import { instanceNorm2d } from '../blocks.js';
import { MunitResidualBlock } from './residual.js';

/** Length of the style code (the reference's style_dim). */
export const styleDim = 8;

export class ContentEncoder extends nn.Module {
  readonly model: nn.Sequential;

  constructor(width: number) {
    super();
    const layers: nn.Module[] = [nn.ReflectionPad2d(3), new nn.Conv2d(1, width, 7), instanceNorm2d(width), nn.ReLU()];
    for (const c of [width, 2 * width]) {
      layers.push(new nn.Conv2d(c, 2 * c, 4, { stride: 2, padding: 1 }), instanceNorm2d(2 * c), nn.ReLU());
    }
    for (let i = 0; i < 3; i++) layers.push(new MunitResidualBlock(4 * width, 'in'));
    this.model = new nn.Sequential(...layers);
  }

  /** x: [N, 1, H, W] -> [N, 4w, H/4, W/4]. */
  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

export class StyleEncoder extends nn.Module {
  readonly model: nn.Sequential;

  constructor(width: number) {
    super();
    this.model = new nn.Sequential(
      nn.ReflectionPad2d(3),
      new nn.Conv2d(1, width, 7),
      nn.ReLU(),
      new nn.Conv2d(width, 2 * width, 4, { stride: 2, padding: 1 }),
      nn.ReLU(),
      new nn.Conv2d(2 * width, 4 * width, 4, { stride: 2, padding: 1 }),
      nn.ReLU(),
      new nn.Lambda('AdaptiveAvgPool2d(1)', (x) => adaptiveAvgPool2d(x, 1)),
      new nn.Conv2d(4 * width, styleDim, 1),
    );
  }

  /** x: [N, 1, H, W] -> [N, 8, 1, 1]. */
  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

export class MunitEncoder extends nn.Module {
  readonly content_encoder: ContentEncoder;
  readonly style_encoder: StyleEncoder;

  constructor(width: number) {
    super();
    this.content_encoder = new ContentEncoder(width);
    this.style_encoder = new StyleEncoder(width);
  }

  /** The content code alone (translation needs no style of the source). */
  forward(x: Tensor): Tensor {
    return this.content_encoder.forward(x);
  }

  encode(x: Tensor): { content: Tensor; style: Tensor } {
    return { content: this.content_encoder.forward(x), style: this.style_encoder.forward(x) };
  }
}
