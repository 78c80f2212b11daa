/**
 * The run folder's human view: `report.html` (latest metrics, curves, sample
 * grids, the full metrics table, the resolved config) and `curves.svg`,
 * both built from a `RunSummary`. Strings out; `runFiles` lists every text
 * file of a run folder for the caller to write (cli/train/run.ts, for
 * fedmed train and each experiment cell, through store/atomic.ts
 * writeRunFiles). Grid PNGs are written by the caller when made; the report
 * links to them.
 */
import { chartPanel, escapeXml, PALETTE, type ChartSpec, type Series } from './plot.js';
import { formatScore, metricsCsv, metricsJson, type DirectionMetrics, type EpochRecord } from './records.js';

/** A sample grid PNG in the run folder. */
export interface GridImage {
  /** Path relative to the run folder, e.g. 'grids/epoch-003-T1-T2.png'. */
  path: string;
  epoch: number;
  /** What the rows show, e.g. 'T1->T2, test slices 0, 7, 14, 21: input | synthesized | target' (the report adds the epoch). */
  caption: string;
}

/** Everything a run folder's report shows. */
export interface RunSummary {
  title: string;
  /** The fully resolved configuration, written as config.json. */
  config: Record<string, unknown>;
  epochs: readonly EpochRecord[];
  grids: readonly GridImage[];
  /** When the run started (ISO 8601). */
  startedAt?: string;
  /** Short facts worth a line: backend, privacy epsilon, data source. */
  notes?: readonly string[];
}

/** A run's config.json text. */
export function configJson(config: Record<string, unknown>): string {
  return JSON.stringify(config, null, 2) + '\n';
}

/** The text files of a run folder, by name. */
export function runFiles(summary: RunSummary): Record<string, string> {
  return {
    'config.json': configJson(summary.config),
    'metrics.json': metricsJson(summary.epochs),
    'metrics.csv': metricsCsv(summary.epochs),
    'curves.svg': runCurves(summary.epochs),
    'report.html': renderReport(summary),
  };
}

type MetricKey = Exclude<keyof DirectionMetrics, 'direction' | 'images'>;

const METRICS: readonly { key: MetricKey; label: string; digits: number }[] = [
  { key: 'mae', label: 'MAE', digits: 4 },
  { key: 'psnr', label: 'PSNR (dB)', digits: 2 },
  { key: 'ssim', label: 'SSIM', digits: 4 },
  { key: 'ssimGaussian', label: 'SSIM (Gaussian)', digits: 4 },
  { key: 'ssimGlobal', label: 'SSIM (global, reference code)', digits: 4 },
];

/**
 * The loss and metric curves against epoch: one chart of training losses,
 * then MAE, PSNR and SSIM with one colour per direction (SSIM's Gaussian
 * form dashed beside the uniform one), tiled two per row.
 */
export function runCurves(epochs: readonly EpochRecord[]): string {
  const lossNames = [...new Set(epochs.flatMap((e) => Object.keys(e.losses)))];
  const directions = [...new Set(epochs.flatMap((e) => e.metrics.map((m) => m.direction)))];
  const byDirection = (key: MetricKey, variant?: { suffix: string }): Series[] =>
    directions.map((direction, i) => ({
      name: direction + (variant?.suffix ?? ''),
      color: PALETTE[i % PALETTE.length]!,
      dashed: variant !== undefined,
      points: epochs.flatMap((e) => {
        const m = e.metrics.find((d) => d.direction === direction);
        return m ? [[e.epoch, m[key]] as const] : [];
      }),
    }));
  const chart = (title: string, yLabel: string, series: Series[]): ChartSpec => ({
    title,
    xLabel: 'epoch',
    yLabel,
    series,
    integerX: true,
    width: 520,
    height: 300,
  });
  return chartPanel([
    chart('Training losses', 'loss', lossNames.map((name) => ({ name, points: epochs.map((e) => [e.epoch, e.losses[name] ?? NaN] as const) }))),
    chart('MAE (lower is better)', 'MAE', byDirection('mae')),
    chart('PSNR (higher is better)', 'PSNR (dB)', byDirection('psnr')),
    chart('SSIM (higher is better)', 'SSIM', [...byDirection('ssim'), ...byDirection('ssimGaussian', { suffix: ' Gaussian' })]),
  ]);
}

/** `report.html`: one self-contained page but for the grid images it links. */
export function renderReport(summary: RunSummary): string {
  const last = summary.epochs[summary.epochs.length - 1];
  const lastEvaluated = [...summary.epochs].reverse().find((e) => e.metrics.length > 0);
  const facts = [
    summary.startedAt ? `started ${summary.startedAt}` : '',
    last ? `epoch ${last.epoch}${last.round !== undefined ? `, round ${last.round}` : ''}` : 'no epoch finished yet',
    ...(summary.notes ?? []),
  ].filter(Boolean);

  const sections = [
    `<h1>${escapeXml(summary.title)}</h1>`,
    `<p class="facts">${facts.map(escapeXml).join(' &middot; ')}</p>`,
    lastEvaluated ? latestTable(lastEvaluated) : '',
    summary.epochs.length ? `<h2>Curves</h2>\n<div class="curves">${runCurves(summary.epochs)}</div>` : '',
    summary.grids.length ? gridSection(summary.grids) : '',
    summary.epochs.length ? allEpochsTable(summary.epochs) : '',
    `<h2>Configuration</h2>\n<details><summary>config.json</summary>\n<pre>${escapeXml(JSON.stringify(summary.config, null, 2))}</pre></details>`,
    `<p class="files">Files: <a href="metrics.csv">metrics.csv</a> &middot; <a href="metrics.json">metrics.json</a> &middot; <a href="curves.svg">curves.svg</a> &middot; <a href="config.json">config.json</a></p>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(summary.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.filter(Boolean).join('\n')}
</body>
</html>
`;
}

/** The report's stylesheet (the experiment page shares it). */
export const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.facts, .files { color: #555; margin: 0 0 12px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; text-align: right; border-bottom: 1px solid #eee; }
th { background: #f6f6f6; font-weight: 600; }
td.text, th.text { text-align: left; }
tr.epoch-start td { border-top: 1px solid #bbb; }
.scroll { overflow-x: auto; max-height: 420px; overflow-y: auto; }
.curves svg { max-width: 100%; height: auto; }
.grids { display: flex; flex-wrap: wrap; gap: 20px; }
figure { margin: 0; display: grid; grid-template-columns: minmax(300px, max-content); }
figure .columns { display: flex; color: #555; font-size: 12px; }
figure .columns span { flex: 1; text-align: center; }
figure img { display: block; width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 12px; margin-top: 4px; width: 0; min-width: 100%; }
details summary { cursor: pointer; color: #555; margin: 12px 0; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12px; }
`;

function latestTable(record: EpochRecord): string {
  const head = ['<th class="text">direction</th>', '<th>images</th>', ...METRICS.map((m) => `<th>${escapeXml(m.label)}</th>`)].join('');
  const rows = record.metrics.map(
    (m) => `<tr><td class="text">${escapeXml(m.direction)}</td><td>${m.images}</td>${METRICS.map((c) => `<td>${formatNumber(m[c.key], c.digits)}</td>`).join('')}</tr>`,
  );
  return `<h2>Test metrics after epoch ${record.epoch}</h2>\n<table>\n<tr>${head}</tr>\n${rows.join('\n')}\n</table>`;
}

function allEpochsTable(epochs: readonly EpochRecord[]): string {
  const lossNames = [...new Set(epochs.flatMap((e) => Object.keys(e.losses)))];
  const hasRounds = epochs.some((e) => e.round !== undefined);
  const head = [
    '<th>epoch</th>',
    hasRounds ? '<th>round</th>' : '',
    '<th class="text">direction</th>',
    ...METRICS.map((m) => `<th>${escapeXml(m.label.replace(', reference code', ''))}</th>`),
    ...lossNames.map((n) => `<th>loss ${escapeXml(n)}</th>`),
    '<th>seconds</th>',
  ].join('');
  // An epoch without test metrics (not evaluated) still shows its losses.
  const rows = epochs.flatMap((e) =>
    (e.metrics.length ? e.metrics : [undefined]).map((m, i) => {
      const first = i === 0;
      const cells = [
        `<td>${first ? e.epoch : ''}</td>`,
        hasRounds ? `<td>${first && e.round !== undefined ? e.round : ''}</td>` : '',
        `<td class="text">${m ? escapeXml(m.direction) : ''}</td>`,
        ...METRICS.map((c) => `<td>${m ? formatNumber(m[c.key], c.digits) : ''}</td>`),
        ...lossNames.map((n) => `<td>${first && e.losses[n] !== undefined ? formatNumber(e.losses[n]!, 4, true) : ''}</td>`),
        `<td>${first && e.seconds !== undefined ? e.seconds.toFixed(1) : ''}</td>`,
      ];
      return `<tr${first ? ' class="epoch-start"' : ''}>${cells.join('')}</tr>`;
    }),
  );
  return `<h2>All epochs</h2>\n<div class="scroll"><table>\n<tr>${head}</tr>\n${rows.join('\n')}\n</table></div>`;
}

/** The newest epoch's grids, then the earlier ones folded away, newest first; each grid with its column headings. */
function gridSection(grids: readonly GridImage[]): string {
  const figure = (g: GridImage) => `<figure>
<div class="columns"><span>input</span><span>synthesized</span><span>target</span></div>
<img src="${escapeXml(g.path)}" alt="${escapeXml(g.caption)}">
<figcaption>epoch ${g.epoch}: ${escapeXml(g.caption)}</figcaption>
</figure>`;
  const sorted = [...grids].sort((a, b) => b.epoch - a.epoch);
  const newest = sorted.filter((g) => g.epoch === sorted[0]?.epoch);
  const earlier = sorted.slice(newest.length);
  const folded = earlier.length
    ? `\n<details><summary>earlier epochs (${new Set(earlier.map((g) => g.epoch)).size})</summary>\n<div class="grids">\n${earlier.map(figure).join('\n')}\n</div>\n</details>`
    : '';
  return `<h2>Samples</h2>\n<div class="grids">\n${newest.map(figure).join('\n')}\n</div>${folded}`;
}

/** Fixed decimals; `small` switches to exponent form where those would show only zeros. */
function formatNumber(v: number, digits: number, small = false): string {
  if (Number.isNaN(v)) return '&ndash;';
  if (!Number.isFinite(v)) return formatScore(v);
  if (small && v !== 0 && Math.abs(v) < 10 ** -digits) return v.toExponential(2);
  return v.toFixed(digits);
}
