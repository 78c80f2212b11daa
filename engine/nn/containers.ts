/**
 * Parameter-free layers and nn.Sequential, so that models keep PyTorch's
 * indices. Sequential runs a convolution or an instance norm and the
 * activation right after it as one op (the activation fused into its pass).
 */
import { leakyRelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import { avgPool2d, upsampleNearest, type AvgPool2dOptions } from '../ops/resample.js';
import { pad, type PadMode } from '../ops/shape.js';
import type { Pair } from '../ops/conv.js';
import type { ActivationOptions } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Conv2d, ConvTranspose2d } from './layers.js';
import { InstanceNorm2d } from './norm.js';
import { Module } from './module.js';

/** A layer given by a function: ReLU, Tanh, padding and the like. No parameters. */
export class Lambda extends Module {
  constructor(
    readonly label: string,
    private readonly fn: (x: Tensor) => Tensor,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}

/** An activation that a convolution before it can apply in its own pass. */
export class Activation extends Lambda {
  constructor(
    label: string,
    fn: (x: Tensor) => Tensor,
    readonly options: ActivationOptions,
  ) {
    super(label, fn);
  }
}

export const ReLU = () => new Activation('ReLU', relu, { activation: 'relu' });
export const LeakyReLU = (slope = 0.01) => new Activation(`LeakyReLU(${slope})`, (x) => leakyRelu(x, slope), { activation: 'leakyRelu', slope });
export const Tanh = () => new Activation('Tanh', tanh, { activation: 'tanh' });
export const Sigmoid = () => new Lambda('Sigmoid', sigmoid);
export const Upsample = (scale = 2) => new Lambda(`Upsample(${scale})`, (x) => upsampleNearest(x, scale));
export const ReflectionPad2d = (p: number) => new Lambda(`ReflectionPad2d(${p})`, (x) => padBy(x, p, 'reflect'));
export const ZeroPad2d = (p: number) => new Lambda(`ZeroPad2d(${p})`, (x) => padBy(x, p, 'zeros'));
export const AvgPool2d = (kernel: Pair, options: AvgPool2dOptions = {}) =>
  new Lambda('AvgPool2d', (x) => avgPool2d(x, kernel, options));

/** A convolution or norm fuses leakyRelu only with a slope >= 0 (see activationOf); other slopes run as their own op. */
function fusable(a: ActivationOptions): boolean {
  return a.activation !== 'leakyRelu' || (a.slope ?? 0.01) >= 0;
}

function padBy(x: Tensor, p: number, mode: PadMode): Tensor {
  return pad(x, [p, p, p, p], mode);
}

/** nn.Sequential: children applied in order, named 0, 1, 2, ... */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  override namedParameters(prefix = ''): [string, Tensor][] {
    return this.layers.flatMap((m, i) => m.namedParameters(`${prefix}${i}.`));
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      const next = this.layers[i + 1];
      if ((layer instanceof Conv2d || layer instanceof ConvTranspose2d || layer instanceof InstanceNorm2d) && next instanceof Activation && fusable(next.options)) {
        h = layer.forward(h, next.options);
        i++;
      } else {
        h = layer.forward(h);
      }
    }
    return h;
  }
}
