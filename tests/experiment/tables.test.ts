/**
 * The tables in the paper's layout, built from stand-in cell results (named
 * stubCell: real configs from each cell's flags, made-up metrics): our
 * figure lands in its cell beside the paper's, Markdown and CSV carry both,
 * a model fedmed lacks shows '-', the paper's epsilons come out of our
 * accountant, and the page holds every table, the curves and the grids.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { escapeXml } from '../../eval/plot.js';
import type { EpochRecord } from '../../eval/records.js';
import { availableModels, experiments, type Cell, type ExperimentName } from '../../experiment/grids.js';
import { experimentFiles } from '../../experiment/output.js';
import { epsilonTable, table4 } from '../../experiment/paper-tables.js';
import type { CellResult } from '../../experiment/runner.js';
import { scaleArgs, scales } from '../../experiment/scales.js';
import { tableCsv, tableMarkdown } from '../../experiment/table.js';
import { experimentTables } from '../../experiment/tables.js';

const context = { scale: scales.tiny, kinds: ['ixi', 'brats'] as const };

/** A test double of a finished cell: its real config, and PSNR `psnr + epoch / 10` in every direction after each epoch. */
async function stubCell(cell: Cell, psnr: number): Promise<CellResult> {
  const config = await trainConfigFromArgs([...scaleArgs(scales.tiny, 'phantom'), ...cell.args]);
  const epochs = Array.from({ length: config.rounds }, (_, i) => (i + 1) * config.localEpochs);
  const directions = [`${config.source}->${config.target}`, `${config.target}->${config.source}`];
  const records: EpochRecord[] = epochs.map((epoch) => ({
    epoch,
    losses: {},
    seconds: 2,
    metrics: directions.map((direction) => ({ direction, images: 4, mae: 0.05, psnr: psnr + epoch / 10, ssim: 0.8, ssimGaussian: 0.8, ssimGlobal: 0.8 })),
  }));
  return { cell, dir: `/nowhere/${cell.id}`, config, action: 'trained', records, epsilon: config.dp === 'off' ? null : 3.5, grids: [`grids/round-002-${directions[0]!.replace('->', '-to-')}.png`] };
}

async function stubResults(name: ExperimentName): Promise<CellResult[]> {
  return Promise.all(experiments[name].cells(context).map((cell, i) => stubCell(cell, 20 + i)));
}

test('dp: each cell of Table 4 holds our last-round figure beside the paper\'s, in Markdown and CSV', async () => {
  const results = await stubResults('dp');
  const [table] = experimentTables('dp', results, context);
  assert.equal(table!.columns, ['clip 0.7', 'clip 1', 'clip 1.3']);
  assert.is(table!.rows.length, 9);
  const psnr = table!.rows.find((r) => r.keys[0] === '1.07' && r.keys[1] === 'PSNR')!;
  const cell = results.find((r) => r.cell.id === 'noise-1.07-clip-1')!;
  const last = cell.records.at(-1)!.metrics.find((m) => m.direction === 'PD->T2')!.psnr;
  assert.equal(psnr.cells[1], { ours: last, paper: table4['1.07']!.psnr[1]! });
  assert.ok(tableMarkdown(table!).includes(`| 1.07 | PSNR | `), tableMarkdown(table!));
  assert.ok(tableMarkdown(table!).includes(`${last.toFixed(2)} (27.76)`));
  const csv = tableCsv(table!).split('\n');
  assert.is(csv[0], 'noise,metric,clip 0.7 ours,clip 0.7 paper,clip 1 ours,clip 1 paper,clip 1.3 ours,clip 1.3 paper');
  assert.ok(csv.some((line) => line.startsWith('1.07,PSNR,') && line.split(',')[4] === String(last) && line.split(',')[5] === '27.7578'));
});

test("models: both of the paper's tables, every direction; a model fedmed lacks shows '-' beside the paper's figure", async () => {
  const tables = experimentTables('models', await stubResults('models'), context);
  assert.equal(tables.map((t) => t.id), ['table-2', 'table-1']); // IXI, then BraTS
  const brats = tables[1]!;
  assert.equal(brats.columns, ['T1->T2', 'T1->FLAIR', 'T2->T1', 'T2->FLAIR', 'FLAIR->T1', 'FLAIR->T2']);
  const cyclegan = brats.rows.find((r) => r.keys.join() === 'Fed.,CycleGAN,PSNR')!;
  assert.ok(cyclegan.cells.every((c) => c.ours !== null && c.paper !== null));
  if (!availableModels().includes('hypergan')) {
    const hyper = brats.rows.find((r) => r.keys.join() === 'Non-Fed.,Hyper-GAN,PSNR')!;
    assert.ok(hyper.cells.every((c) => c.ours === null && c.paper !== null));
    assert.ok(tableMarkdown(brats).includes('| Non-Fed. | Hyper-GAN | PSNR | - (31.80) |'));
  }
});

test("epsilon: the paper's accounting row gives the paper's epsilons; our run's epsilon comes from its ledger", async () => {
  const [table] = experimentTables('epsilon', await stubResults('epsilon'), context);
  for (const noise of ['0.5', '1.07', '2']) {
    const paperRow = table!.rows.find((r) => r.keys[0] === noise && r.keys[1] === "epsilon, the paper's accounting")!;
    paperRow.cells.forEach((c, i) => assert.ok(Math.abs(c.ours! - epsilonTable[noise]!.epsilon[i]!) < 0.02, `noise ${noise}: ${c.ours} vs ${c.paper}`));
    const ours = table!.rows.find((r) => r.keys[0] === noise && r.keys[1] === 'epsilon, our run')!;
    assert.ok(ours.cells.every((c) => c.ours === 3.5));
  }
});

test('epsilon: a guarantee rounds up in the Markdown, the page and nowhere else; PSNR rounds to nearest', async () => {
  const results = (await stubResults('epsilon')).map((r) => ({ ...r, epsilon: 3.5012 }));
  const [table] = experimentTables('epsilon', results, context);
  const markdown = tableMarkdown(table!);
  assert.ok(markdown.includes('| 1.07 | epsilon, our run | 3.51 (200.47) |'), markdown);
  assert.ok(markdown.includes('| 1.07 | PSNR | 2'), markdown);
  const psnr = table!.rows.find((r) => r.keys[0] === '1.07' && r.keys[1] === 'PSNR')!.cells[0]!.ours!;
  assert.ok(markdown.includes(`| 1.07 | PSNR | ${psnr.toFixed(2)} (`), `PSNR ${psnr} rounds to nearest`);
  assert.ok(tableCsv(table!).includes('3.5012'), 'the CSV keeps the figure at full precision');
  const page = experimentFiles({ name: 'epsilon', scale: 'tiny', tables: [table!], results })['index.html']!;
  assert.ok(page.includes('<td>3.51 <span class="paper">(200.47)</span></td>'), 'the page rounds the guarantee up too');
});

test('rounds: columns are every epoch either side has; the paper figures only the centralized rows', async () => {
  const [table] = experimentTables('rounds', await stubResults('rounds'), context);
  assert.equal(table!.columns, ['1', '2', '4', '7', '10', '13', '16', '19', '21', '24', '27', '30']);
  const [centralized, , federated] = table!.rows;
  assert.equal(centralized!.cells[0], { ours: 20.1, paper: 23.69 });
  assert.equal(centralized!.cells[2], { ours: null, paper: 25.03 });
  assert.ok(federated!.cells.every((c) => c.paper === null));
  assert.equal(table!.paperCurves!.map((c) => c.points.length), [11, 11]);
  assert.equal(table!.paperCurves![0]!.points[0], [1, 23.69]);
});

test("rounds: the DP rows carry the paper's whole label 'w/ DP-SGD' in the table, tables.md, the CSV and the page", async () => {
  const results = await stubResults('rounds');
  const tables = experimentTables('rounds', results, context);
  const labels = tables[0]!.rows.map((r) => r.keys[0]!);
  assert.equal(labels.filter((l) => l.includes('w/ DP-SGD')).length, 2, labels.join('; '));
  assert.equal(labels.filter((l) => l.includes('w/o DP-SGD')).length, 2, labels.join('; '));
  const files = experimentFiles({ name: 'rounds', scale: 'tiny', tables, results });
  for (const file of ['tables.md', 'table-7.csv', 'index.html']) {
    assert.ok(files[file]!.includes(escapeXml('centralized (w/ DP-SGD)')), file);
    assert.not.ok(files[file]!.includes('(w)'), file);
  }
});

test("a failed cell's partial figures and epsilon stay out of the tables ('-'); the Cells table marks it failed", async () => {
  const results = await stubResults('epsilon');
  const failed: CellResult = { ...results[0]!, action: 'failed', error: 'loss is NaN at round 2', records: results[0]!.records.slice(0, 1) };
  const [table] = experimentTables('epsilon', [failed, ...results.slice(1)], context);
  const [noise, k] = failed.cell.id.match(/^noise-(.+)-clients-(\d+)$/)!.slice(1);
  const column = table!.columns.indexOf(`${k} clients`);
  for (const figure of ['epsilon, our run', 'PSNR']) {
    const row = table!.rows.find((r) => r.keys[0] === noise && r.keys[1] === figure)!;
    assert.is(row.cells[column]!.ours, null, figure);
    assert.ok(row.cells.some((c, i) => i !== column && c.ours !== null), `${figure}: the other cells keep theirs`);
  }
  const files = experimentFiles({ name: 'epsilon', scale: 'tiny', tables: [table!], results: [failed, ...results.slice(1)] });
  for (const file of ['tables.md', 'index.html']) {
    const row = files[file]!.split('\n').find((l) => l.includes(`>${failed.cell.id}<`) || l.includes(`[${failed.cell.id}]`))!;
    assert.match(row, /failed: loss is NaN at round 2/, file);
  }
});

test('the files: tables.md, a CSV per table, and a page with the tables, curves and each cell\'s grids', async () => {
  const results = await stubResults('discriminators');
  const tables = experimentTables('discriminators', results, context);
  const files = experimentFiles({ name: 'discriminators', scale: 'tiny', tables, results });
  assert.equal(Object.keys(files).sort(), ['index.html', 'table-5.csv', 'table-6.csv', 'tables.md']);
  for (const t of tables) {
    assert.ok(files['tables.md']!.includes(`### ${t.title}`));
    assert.ok(files['index.html']!.includes(escapeXml(t.title)), t.title);
  }
  assert.ok(files['index.html']!.includes('<svg'));
  assert.ok(files['index.html']!.includes(escapeXml("The paper's test PSNR by epoch")), 'Tables 5-6 drawn as curves');
  for (const r of results) assert.ok(files['index.html']!.includes(`src="${r.cell.id}/${r.grids[0]}"`), r.cell.id);
  assert.ok(files['tables.md']!.includes('Training time in all: 0.4 min.')); // 6 cells x 2 epochs x 2 s
});

test.run();
