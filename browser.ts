/**
 * `fedmed/browser`: the package in a browser, with no Node module. The same
 * engine (with nn and optim), models, data, federation and evaluation as
 * `fedmed`; the wasm backend fetches its kernels next to the engine's build
 * (dist/wasm/) and needs a cross-origin isolated page (COOP/COEP) for its
 * threads. Two bare imports, `fflate` and `nifti-reader-js`, need an import
 * map or a bundler.
 */
export * as engine from './engine/index.js';
export { nn, optim } from './engine/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as fed from './fed/index.js';
export * as eval from './eval/index.js';
