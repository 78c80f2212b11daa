/**
 * Building blocks several GANs share: the residual block of UNIT and the
 * ResNet CycleGAN generator, the PatchGAN layer stack of UNIT's and MUNIT's
 * discriminators, and a ModuleDict for PyTorch's named children.
 */
import { add, nn, type Tensor } from '../engine/index.js';

/** nn.InstanceNorm2d as every model here uses it: affine off, eps 1e-5 (DESIGN.md, "The reference code", Models). */
export const instanceNorm2d = (channels: number) => new nn.InstanceNorm2d(channels, { eps: 1e-5, affine: false });

/**
 * x + [ReflPad1 Conv3x3 IN ReLU ReflPad1 Conv3x3 IN](x), channels kept.
 * UNIT's ResidualBlock and the original CycleGAN's ResnetBlock (no dropout):
 * keys conv_block.1.* and conv_block.5.*.
 */
export class ResidualBlock extends nn.Module {
  readonly conv_block: nn.Sequential;

  constructor(readonly channels: number) {
    super();
    this.conv_block = new nn.Sequential(
      nn.ReflectionPad2d(1),
      new nn.Conv2d(channels, channels, 3),
      instanceNorm2d(channels),
      nn.ReLU(),
      nn.ReflectionPad2d(1),
      new nn.Conv2d(channels, channels, 3),
      instanceNorm2d(channels),
    );
  }

  forward(x: Tensor): Tensor {
    return add(x, this.conv_block.forward(x));
  }
}

/**
 * The PatchGAN stack of UNIT and MUNIT (DESIGN.md, "The reference code", Models, UNIT):
 * Conv4x4 s2 1->w LReLU, then w->2w, 2w->4w, 4w->8w each Conv4x4 s2 + IN +
 * LReLU(0.2). Indices 0, 2, 5, 8 hold the convolutions. 256 -> 16x16 maps.
 */
export function patchLayers(width: number): nn.Sequential {
  const layers: nn.Module[] = [new nn.Conv2d(1, width, 4, { stride: 2, padding: 1 }), nn.LeakyReLU(0.2)];
  for (const c of [width, 2 * width, 4 * width]) {
    layers.push(new nn.Conv2d(c, 2 * c, 4, { stride: 2, padding: 1 }), instanceNorm2d(2 * c), nn.LeakyReLU(0.2));
  }
  return new nn.Sequential(...layers);
}

/** nn.ModuleDict: children under given names (keys `<name>.<param>`); like PyTorch's, it has no forward. */
export class ModuleDict<M extends nn.Module> extends nn.Module {
  constructor(children: Readonly<Record<string, M>>) {
    super();
    Object.assign(this, children);
  }

  /** The children in insertion order. */
  values(): M[] {
    return Object.values(this).filter((v): v is M => v instanceof nn.Module);
  }

  forward(): Tensor {
    throw new Error('ModuleDict has no forward; call its children');
  }
}
