/**
 * The experiment's index.html: its tables (ours beside the paper's), the
 * test PSNR of every cell by epoch beside the paper's curves where it has
 * them (Fig. 4 and Tables 5-7), the cells' latent-space figures where the
 * experiment draws them (Fig. 5), and each cell's newest sample grids linked
 * to its own report. Built from eval/'s chart and stylesheet; one self-contained page
 * but for the grid images, which stay in the cells' folders.
 */
import { chartPanel, escapeXml, PALETTE, type ChartSpec } from '../eval/plot.js';
import { STYLE } from '../eval/report.js';
import { cellEpochs, LATENT_HEADING, LATENT_NOTE, latentCaption, type ExperimentSummary } from './output.js';
import { trainingSeconds, type CellResult } from './runner.js';
import { formatNumber, type Table } from './table.js';

/** At most this many cells share one chart, so each keeps a colour of its own. */
const SERIES_PER_CHART = PALETTE.length;

function tableHtml(table: Table): string {
  const head = [...table.keyHeads.map((k) => `<th class="text">${escapeXml(k)}</th>`), ...table.columns.map((c) => `<th>${escapeXml(c)}</th>`)].join('');
  const rows = table.rows.map((r) => {
    const keys = r.keys.map((k) => `<td class="text">${escapeXml(k)}</td>`).join('');
    const cells = r.cells.map((c) => `<td>${formatNumber(c.ours, r.digits, r.rounding)}${c.paper === null ? '' : ` <span class="paper">(${formatNumber(c.paper, r.digits)})</span>`}</td>`).join('');
    return `<tr>${keys}${cells}</tr>`;
  });
  return `<h2>${escapeXml(table.title)}</h2>\n<p class="facts">${escapeXml(table.note)} Each cell: ours <span class="paper">(the paper's)</span>.</p>\n<div class="scroll"><table>\n<tr>${head}</tr>\n${rows.join('\n')}\n</table></div>`;
}

/** The direction a cell was trained for (its config's source -> target): the one its tables read. */
function mainDirection(result: CellResult): string {
  return `${result.config.source}->${result.config.target}`;
}

function psnrCharts(results: readonly CellResult[], tables: readonly Table[]): string {
  const charts: ChartSpec[] = [];
  for (let i = 0; i < results.length; i += SERIES_PER_CHART) {
    const group = results.slice(i, i + SERIES_PER_CHART);
    charts.push({
      title: `Test PSNR by epoch${results.length > SERIES_PER_CHART ? ` (cells ${i + 1}-${i + group.length})` : ''}`,
      xLabel: 'epoch',
      yLabel: 'PSNR (dB)',
      integerX: true,
      width: 520,
      height: 320,
      series: group.map((r, j) => ({
        name: `${r.cell.id} ${mainDirection(r)}${r.action === 'failed' ? ' (failed)' : ''}`,
        color: PALETTE[j]!,
        points: r.records.flatMap((e) => {
          const m = e.metrics.find((d) => d.direction === mainDirection(r));
          return m && Number.isFinite(m.psnr) ? [[e.epoch, m.psnr] as const] : [];
        }),
      })),
    });
  }
  const paper = tables.flatMap((t) => t.paperCurves ?? []);
  if (paper.length) {
    charts.push({ title: "The paper's test PSNR by epoch", xLabel: 'epoch', yLabel: 'PSNR (dB)', integerX: true, width: 520, height: 320, series: paper.map((c, i) => ({ ...c, color: PALETTE[i % PALETTE.length]!, dashed: true })) });
  }
  return `<h2>Curves</h2>\n<div class="curves">${chartPanel(charts)}</div>`;
}

function gridsHtml(results: readonly CellResult[]): string {
  const figures = results.flatMap((r) =>
    r.grids.map((g) => `<figure>
<div class="columns"><span>input</span><span>synthesized</span><span>target</span></div>
<a href="${escapeXml(`${r.cell.id}/report.html`)}"><img src="${escapeXml(`${r.cell.id}/${g}`)}" alt="${escapeXml(`${r.cell.id} ${g}`)}"></a>
<figcaption>${escapeXml(r.cell.id)}, epoch ${r.records.at(-1)?.epoch ?? 0}: ${escapeXml(g.replace(/^grids\//, ''))}</figcaption>
</figure>`),
  );
  return figures.length ? `<h2>Samples (the newest round of each cell)</h2>\n<div class="grids">\n${figures.join('\n')}\n</div>` : '';
}

/** The cells' latent-space figures side by side, as the paper's Fig. 5 panels. */
function latentHtml(results: readonly CellResult[]): string {
  const figures = results.flatMap((r) =>
    (r.latent?.figures ?? []).map(
      (f) => `<figure>
<img src="${escapeXml(`${r.cell.id}/${f.file}`)}" alt="${escapeXml(`latent space of ${r.cell.id}, round ${f.round}`)}">
<figcaption>${escapeXml(latentCaption(r, f.round))}</figcaption>
</figure>`,
    ),
  );
  return figures.length ? `<h2>${escapeXml(LATENT_HEADING)}</h2>\n<p class="facts">${escapeXml(LATENT_NOTE)}</p>\n<div class="grids latent">\n${figures.join('\n')}\n</div>` : '';
}

export function experimentPage(summary: ExperimentSummary): string {
  const title = `fedmed experiment ${summary.name}, scale ${summary.scale}`;
  const cellRows = summary.results.map(
    (r) => `<tr><td class="text"><a href="${escapeXml(`${r.cell.id}/report.html`)}">${escapeXml(r.cell.id)}</a></td><td>${escapeXml(cellEpochs(r))}</td><td>${trainingSeconds(r).toFixed(0)}</td><td class="text"><code>${escapeXml(r.cell.args.join(' '))}</code></td></tr>`,
  );
  const sections = [
    `<h1>${escapeXml(title)}</h1>`,
    `<p class="facts">${summary.results.length} cells &middot; tables also in <a href="tables.md">tables.md</a> and ${summary.tables.map((t) => `<a href="${t.id}.csv">${t.id}.csv</a>`).join(', ')}</p>`,
    ...summary.tables.map(tableHtml),
    summary.results.some((r) => r.records.length) ? psnrCharts(summary.results, summary.tables) : '',
    latentHtml(summary.results),
    gridsHtml(summary.results),
    `<h2>Cells</h2>\n<table>\n<tr><th class="text">cell</th><th>epochs</th><th>training s</th><th class="text">fedmed train flags</th></tr>\n${cellRows.join('\n')}\n</table>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}
.paper { color: #888; }
.latent figure { width: 340px; } /* two panels a row, as the paper's Fig. 5 */
</style>
</head>
<body>
${sections.filter(Boolean).join('\n')}
</body>
</html>
`;
}


