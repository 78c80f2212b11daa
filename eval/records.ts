/**
 * Per-epoch run records and their text forms: `metrics.json` (the records as
 * they are) and `metrics.csv` (one line per epoch and direction, tidy for
 * pandas or a spreadsheet). Typed rows in, text out; writing the files is
 * the caller's (cli/train/run.ts, through store/atomic.ts writeRunFiles).
 */
import type { ImageMetrics } from './metrics.js';

/** Test-set metrics of one translation direction after an epoch, means over test slices on [0, 1]. */
export interface DirectionMetrics {
  /** What was translated into what, e.g. 'T1->T2'. */
  direction: string;
  /** Test slices averaged. */
  images: number;
  mae: number;
  /** Mean of the per-slice PSNR in dB; +Infinity if any slice was exact. */
  psnr: number;
  /** skimage SSIM, 7x7 uniform window. */
  ssim: number;
  /** skimage SSIM, Gaussian sigma 1.5 window. */
  ssimGaussian: number;
  /** The reference code's batch-global SSIM, mean over its batches of 4 (`ssimGlobal`). */
  ssimGlobal: number;
}

/** What one epoch produced. */
export interface EpochRecord {
  /** 1-based epoch count over the whole run. */
  epoch: number;
  /** 1-based federated round, absent for centralized training. */
  round?: number;
  /** Wall-clock seconds the epoch took. */
  seconds?: number;
  /** Mean training losses over the epoch, by name (e.g. generator, discriminator). */
  losses: Record<string, number>;
  metrics: DirectionMetrics[];
}

/** The mean of per-slice metrics (PSNR averaged in dB, as skimage users do). */
export function meanImageMetrics(rows: readonly ImageMetrics[]): ImageMetrics {
  if (rows.length === 0) throw new Error('meanImageMetrics: no rows');
  const mean = (key: keyof ImageMetrics) => rows.reduce((s, r) => s + r[key], 0) / rows.length;
  return { mae: mean('mae'), psnr: mean('psnr'), ssim: mean('ssim'), ssimGaussian: mean('ssimGaussian') };
}

/**
 * `metrics.json`: `{ "epochs": [EpochRecord...] }`, two-space indented. JSON
 * has no infinity, so a PSNR of +Infinity (an exact slice) is written as
 * null, as JSON.stringify does with every non-finite number.
 */
export function metricsJson(epochs: readonly EpochRecord[]): string {
  return JSON.stringify({ epochs }, null, 2) + '\n';
}

const METRIC_COLUMNS = ['mae', 'psnr', 'ssim', 'ssim_gaussian', 'ssim_global'] as const;

/**
 * `metrics.csv` (quoted as RFC 4180, `\n` line ends): header `epoch,round,seconds,direction,images,
 * mae,psnr,ssim,ssim_gaussian,ssim_global,loss_<name>...`, one line per
 * epoch and direction (an epoch without metrics gets one line, its metric
 * cells empty); an epoch's losses repeat on each of its lines. Loss
 * columns are the union of names in first-seen order; a missing value or
 * absent round is an empty cell. Numbers are written in full (shortest
 * round-trip form); infinities as `inf` / `-inf` and NaN as `nan`, which
 * pandas and numpy read back.
 */
export function metricsCsv(epochs: readonly EpochRecord[]): string {
  const lossNames = [...new Set(epochs.flatMap((e) => Object.keys(e.losses)))];

  const header = ['epoch', 'round', 'seconds', 'direction', 'images', ...METRIC_COLUMNS, ...lossNames.map((n) => `loss_${n}`)];
  const lines = [header.map(csvCell)];
  for (const record of epochs) {
    const losses = lossNames.map((name) => record.losses[name]);
    // An epoch without test metrics (not evaluated) keeps a line for its losses.
    for (const m of record.metrics.length ? record.metrics : [undefined]) {
      const metricCells = m
        ? [m.direction, m.images, m.mae, m.psnr, m.ssim, m.ssimGaussian, m.ssimGlobal]
        : Array<undefined>(2 + METRIC_COLUMNS.length).fill(undefined);
      lines.push([record.epoch, record.round, record.seconds, ...metricCells, ...losses].map(csvCell));
    }
  }
  return lines.map((cells) => cells.join(',')).join('\n') + '\n';
}

/** What one client did in one federated round. */
export interface ClientRecord {
  round: number;
  client: string;
  /** Training items the client holds (its FedAvg weight). */
  items: number;
  /** Optimizer steps it took this round. */
  steps: number;
  /** Its mean training losses over the round, by name. */
  losses: Record<string, number>;
  /** Epsilon spent by the end of the round, when DP is on. */
  epsilon?: number;
}

/**
 * `clients.csv`: one line per round and client, header `round,client,items,
 * steps,epsilon,loss_<name>...` (loss columns the union of names in first-seen
 * order; a missing value is an empty cell).
 */
export function clientsCsv(records: readonly ClientRecord[]): string {
  const lossNames = [...new Set(records.flatMap((r) => Object.keys(r.losses)))];
  const header = ['round', 'client', 'items', 'steps', 'epsilon', ...lossNames.map((n) => `loss_${n}`)];
  const lines = [header.map(csvCell)];
  for (const r of records) lines.push([r.round, r.client, r.items, r.steps, r.epsilon, ...lossNames.map((n) => r.losses[n])].map(csvCell));
  return lines.map((cells) => cells.join(',')).join('\n') + '\n';
}

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return formatScore(value);
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A score as text, one spelling everywhere (CSV, report.html, the CLI's
 * tables): `inf`, `-inf` and `nan` for what is not finite (an exact slice's
 * PSNR), otherwise `digits` decimals, or every digit when none are given.
 */
export function formatScore(value: number, digits?: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return digits === undefined ? String(value) : value.toFixed(digits);
}
