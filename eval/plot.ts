/**
 * Line charts and scatter plots as self-contained SVG text: axes with 1-2-5
 * ticks and labels, one polyline per series (broken at non-finite values,
 * dotted with markers when short) or, in a scatter plot, one dot per point,
 * and a legend under the title. `chartPanel` tiles several charts into one
 * SVG image (the run folder's `curves.svg`).
 */

/** One named line: (x, y) points, x increasing (in any order in a scatter plot). Non-finite y leaves a gap. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** CSS colour; default: the palette entry of the series' index. */
  color?: string;
  /** Dashed line, to pair a variant with its solid sibling of the same colour. */
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Pixels (default 420 x 280). */
  width?: number;
  height?: number;
  /** Only whole-number x ticks (epochs, rounds). */
  integerX?: boolean;
  /** Dots only, no lines: a scatter plot (the latent-space figure). */
  scatter?: boolean;
}

/** Tableau 10: distinct, print-safe colours. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const CHAR_WIDTH = 6.6; // rough advance of an 11 px sans-serif character, for layout
const MARKER_LIMIT = 40; // series with at most this many points get dots
const SCATTER_RADIUS = 2.2;

/** One chart (lines, or dots when `scatter`) as a standalone `<svg>` document. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 420;
  const height = spec.height ?? 280;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${chartBody(spec, width, height)}</svg>\n`;
}

/** Several charts tiled left to right, top to bottom, in one `<svg>`. */
export function chartPanel(specs: readonly ChartSpec[], options: { columns?: number } = {}): string {
  if (specs.length === 0) throw new Error('chartPanel: no charts');
  const columns = Math.min(options.columns ?? 2, specs.length);
  const cellWidth = Math.max(...specs.map((s) => s.width ?? 420));
  const cellHeight = Math.max(...specs.map((s) => s.height ?? 280));
  const rows = Math.ceil(specs.length / columns);
  const width = columns * cellWidth;
  const height = rows * cellHeight;
  const cells = specs.map((spec, i) => {
    const x = (i % columns) * cellWidth;
    const y = Math.floor(i / columns) * cellHeight;
    return `<g transform="translate(${x},${y})">\n${chartBody(spec, spec.width ?? 420, spec.height ?? 280)}</g>\n`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${cells.join('')}</svg>\n`;
}

/**
 * Round tick values, about `count` of them (steps of 1, 2 or 5 times a power
 * of ten, chosen as d3-array's `ticks` does), covering [min, max]: the first
 * is <= min and the last >= max. A single value gets a small range around it.
 */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new Error(`niceTicks: bad range [${min}, ${max}]`);
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    [min, max] = [min - pad, max + pad];
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const error = rough / power;
  let step = power * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(roundTo(k * step, step));
  return ticks;
}

function chartBody(spec: ChartSpec, width: number, height: number): string {
  const legend = legendLayout(spec.series, width - 24, spec.scatter ?? false);
  const top = 30 + legend.height;
  const margin = { left: 62, right: 18, top, bottom: 46 };
  const plotW = Math.max(10, width - margin.left - margin.right);
  const plotH = Math.max(10, height - margin.top - margin.bottom);

  const finite = spec.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(text(width / 2, 18, spec.title, { anchor: 'middle', size: 13, weight: 'bold' }));
  parts.push(legend.svg);

  const xTicks = finite.length ? niceTicks(Math.min(...finite.map((p) => p[0])), Math.max(...finite.map((p) => p[0])), 6, spec.integerX) : [0, 1];
  const yTicks = finite.length ? niceTicks(Math.min(...finite.map((p) => p[1])), Math.max(...finite.map((p) => p[1])), 5) : [0, 1];
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const px = (x: number) => round2(margin.left + ((x - x0) / (x1 - x0)) * plotW);
  const py = (y: number) => round2(margin.top + plotH - ((y - y0) / (y1 - y0)) * plotH);

  const xDecimals = decimalsFor(xTicks);
  const yDecimals = decimalsFor(yTicks);
  for (const t of yTicks) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${py(t)}" y2="${py(t)}" stroke="#e6e6e6"/>`);
    parts.push(text(margin.left - 6, py(t) + 4, formatTick(t, yDecimals), { anchor: 'end' }));
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" stroke="#444"/>`);
    parts.push(text(px(t), margin.top + plotH + 18, formatTick(t, xDecimals), { anchor: 'middle' }));
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  parts.push(text(margin.left + plotW / 2, height - 8, spec.xLabel, { anchor: 'middle' }));
  const yMid = margin.top + plotH / 2;
  parts.push(text(14, yMid, spec.yLabel, { anchor: 'middle', rotate: true }));
  if (!finite.length) parts.push(text(margin.left + plotW / 2, yMid, 'no data yet', { anchor: 'middle', fill: '#888' }));

  spec.series.forEach((series, i) => {
    const color = seriesColor(series, i);
    if (spec.scatter) {
      // Translucent, so that where kinds overlap (the figure's point) both stay visible.
      for (const [x, y] of series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) {
        parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="${SCATTER_RADIUS}" fill="${color}" fill-opacity="0.55"/>`);
      }
      return;
    }
    for (const run of finiteRuns(series.points)) {
      if (run.length > 1) {
        const coords = run.map(([x, y]) => `${px(x)},${py(y)}`).join(' ');
        parts.push(`<polyline points="${coords}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dash(series)}/>`);
      }
      if (series.points.length <= MARKER_LIMIT || run.length === 1) {
        for (const [x, y] of run) parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="2.8" fill="${color}"/>`);
      }
    }
  });
  return parts.map((p) => `  ${p}\n`).join('');
}

/** Legend swatches (a line, or a dot in a scatter plot) in rows under the title, wrapping at `maxWidth`. */
function legendLayout(series: readonly Series[], maxWidth: number, dots: boolean): { svg: string; height: number } {
  if (series.length === 0) return { svg: '', height: 0 };
  const items: string[] = [];
  let x = 0;
  let row = 0;
  const placed: { x: number; row: number; series: Series; color: string }[] = [];
  series.forEach((s, i) => {
    const itemWidth = 22 + s.name.length * CHAR_WIDTH + 14;
    if (x > 0 && x + itemWidth > maxWidth) {
      x = 0;
      row++;
    }
    placed.push({ x, row, series: s, color: seriesColor(s, i) });
    x += itemWidth;
  });
  // Centre each legend row under the title.
  for (let r = 0; r <= row; r++) {
    const inRow = placed.filter((p) => p.row === r);
    const last = inRow[inRow.length - 1]!;
    const rowWidth = last.x + 22 + last.series.name.length * CHAR_WIDTH;
    const offset = 12 + (maxWidth - rowWidth) / 2;
    for (const p of inRow) {
      const lx = round2(offset + p.x);
      const ly = 34 + r * 16;
      items.push(
        dots
          ? `<circle cx="${lx + 8}" cy="${ly - 4}" r="4" fill="${p.color}"/>`
          : `<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${p.color}" stroke-width="3"${dash(p.series)}/>`,
      );
      items.push(text(lx + 22, ly, p.series.name, {}));
    }
  }
  return { svg: items.join('\n  '), height: (row + 1) * 16 + 4 };
}

function seriesColor(series: Series, index: number): string {
  return escapeXml(series.color ?? PALETTE[index % PALETTE.length]!);
}

function dash(series: Series): string {
  return series.dashed ? ' stroke-dasharray="5 3"' : '';
}

/** Maximal runs of consecutive points with finite coordinates. */
function finiteRuns(points: readonly (readonly [number, number])[]): (readonly [number, number])[][] {
  const runs: (readonly [number, number])[][] = [];
  let current: (readonly [number, number])[] = [];
  for (const p of points) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) current.push(p);
    else if (current.length) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length) runs.push(current);
  return runs;
}

interface TextStyle {
  anchor?: 'start' | 'middle' | 'end';
  size?: number;
  weight?: 'bold';
  rotate?: boolean;
  fill?: string;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const attrs = [
    `x="${round2(x)}"`,
    `y="${round2(y)}"`,
    FONT,
    `font-size="${style.size ?? 11}"`,
    `fill="${style.fill ?? '#222'}"`,
    style.anchor && style.anchor !== 'start' ? `text-anchor="${style.anchor}"` : '',
    style.weight ? `font-weight="${style.weight}"` : '',
    style.rotate ? `transform="rotate(-90 ${round2(x)} ${round2(y)})"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Escapes text for XML / HTML element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Decimal places that tell the ticks apart. */
function decimalsFor(ticks: readonly number[]): number {
  if (ticks.length < 2) return 0;
  const step = Math.abs(ticks[1]! - ticks[0]!);
  return Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
}

function formatTick(v: number, decimals: number): string {
  const magnitude = Math.abs(v);
  if (magnitude >= 1e5 || (decimals > 5 && magnitude > 0)) return v.toExponential(2);
  return v.toFixed(decimals);
}

/** k * step without binary noise (0.30000000000000004). */
function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(20, decimals)));
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
