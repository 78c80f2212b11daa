/**
 * `fedmed`: the package in Node. Importing it installs the Node platform
 * (Dawn's WebGPU from the `webgpu` package, the wasm kernels read from
 * dist/wasm, worker threads), so every backend works without more setup.
 * The same namespaces as `fedmed/browser`, with `data` also reading and
 * writing files (data/fs).
 */
import { installNodePlatform } from './platform/node.js';

installNodePlatform();

export { engine, nn, optim, models, fed, eval } from './browser.js';
export * as data from './data/fs/node.js';
export { installNodePlatform, type NodePlatformOptions } from './platform/node.js';
