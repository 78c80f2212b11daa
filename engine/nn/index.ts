export { Module, parameter, type StateEntry } from './module.js';
export { Conv2d, ConvTranspose2d, Linear, type Conv2dOptions, type ConvTranspose2dOptions } from './layers.js';
export { InstanceNorm2d, LayerNorm, type NormOptions } from './norm.js';
export { Activation, AvgPool2d, Lambda, LeakyReLU, ReflectionPad2d, ReLU, Sequential, Sigmoid, Tanh, Upsample, ZeroPad2d } from './containers.js';
