/**
 * fedmed's evaluation layer, all of it browser-safe: metrics (MAE, PSNR,
 * SSIM), evaluation of a model on test items, whole volumes translated and
 * scored, and reports as strings or bytes (CSV, JSON, SVG, PNG, HTML).
 * Writing them to disk is the callers' (cli/train/run.ts, cli/commands,
 * experiment/), through store/atomic.ts (Node only).
 */
export * from './metrics.js';
export * from './evaluate.js';
export * from './records.js';
export * from './grid.js';
export * from './png.js';
export * from './plot.js';
export * from './report.js';
export * from './volume-translate.js';
export * from './model-translate.js';
export * from './volume-metrics.js';
export * from './latent.js';
