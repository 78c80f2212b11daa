/**
 * MUNIT's discriminator (DESIGN.md, "The reference code", Models): UNIT's PatchGAN at three
 * scales, the input subsampled by 2 between them (the reference's
 * AvgPool2d(kernel 1, stride 2), i.e. every other pixel). Keys
 * models.disc_<i>.{0,2,5,8}.* and conv2ds.disc_<i>.0.*; 8,277,315
 * parameters at w = 64. Maps of 16x16, 8x8 and 4x4 at 256; inputs need 64
 * pixels a side. Below 128 the last scale's 1x1 map is zeroed by its
 * instance norm: it judges nothing there (DESIGN.md, Models).
 */
import { avgPool2d, nn, type Tensor } from '../../engine/index.js';
import { ModuleDict, patchLayers } from '../blocks.js';
import type { Discriminator } from '../gan_base.js';

const scales = 3;

export class MultiScaleDiscriminator extends nn.Module implements Discriminator {
  readonly models: ModuleDict<nn.Sequential>;
  readonly conv2ds: ModuleDict<nn.Sequential>;

  constructor(width: number) {
    super();
    const models: Record<string, nn.Sequential> = {};
    const conv2ds: Record<string, nn.Sequential> = {};
    for (let i = 0; i < scales; i++) {
      models[`disc_${i}`] = patchLayers(width);
      conv2ds[`disc_${i}`] = new nn.Sequential(new nn.Conv2d(8 * width, 1, 3, { padding: 1 }));
    }
    this.models = new ModuleDict(models);
    this.conv2ds = new ModuleDict(conv2ds);
  }

  /** One patch map per scale, finest first: [N, 1, H/16, W/16], [N, 1, H/32, W/32], [N, 1, H/64, W/64]. */
  judge(x: Tensor, input: (x: Tensor) => Tensor = (t) => t): Tensor[] {
    const models = this.models.values();
    const conv2ds = this.conv2ds.values();
    const outputs: Tensor[] = [];
    let image = x;
    for (let i = 0; i < scales; i++) {
      if (i > 0) image = avgPool2d(image, 1, { stride: 2 });
      outputs.push(conv2ds[i]!.forward(models[i]!.forward(input(image))));
    }
    return outputs;
  }

  forward(): Tensor {
    throw new Error('MultiScaleDiscriminator gives one map per scale: call judge(x)');
  }
}
