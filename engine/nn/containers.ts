/** Parameter-free layers and nn.Sequential, so that models keep PyTorch's indices. */
import { leakyRelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import { avgPool2d, upsampleNearest, type AvgPool2dOptions } from '../ops/resample.js';
import { pad, type PadMode } from '../ops/shape.js';
import type { Pair } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
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

export const ReLU = () => new Lambda('ReLU', relu);
export const LeakyReLU = (slope = 0.01) => new Lambda(`LeakyReLU(${slope})`, (x) => leakyRelu(x, slope));
export const Tanh = () => new Lambda('Tanh', tanh);
export const Sigmoid = () => new Lambda('Sigmoid', sigmoid);
export const Upsample = (scale = 2) => new Lambda(`Upsample(${scale})`, (x) => upsampleNearest(x, scale));
export const ReflectionPad2d = (p: number) => new Lambda(`ReflectionPad2d(${p})`, (x) => padBy(x, p, 'reflect'));
export const ZeroPad2d = (p: number) => new Lambda(`ZeroPad2d(${p})`, (x) => padBy(x, p, 'zeros'));
export const AvgPool2d = (kernel: Pair, options: AvgPool2dOptions = {}) =>
  new Lambda('AvgPool2d', (x) => avgPool2d(x, kernel, options));

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
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }
}
