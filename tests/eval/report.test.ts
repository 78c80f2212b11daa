import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderReport, runCurves, runFiles, type RunSummary } from '../../eval/report.js';
import type { EpochRecord } from '../../eval/records.js';

const metrics = (direction: string, mae: number, psnr: number) => ({ direction, images: 4, mae, psnr, ssim: 0.8123, ssimGaussian: 0.79, ssimGlobal: 0.95 });
const epochs: EpochRecord[] = [
  { epoch: 1, round: 1, seconds: 30, losses: { generator: 4, discriminator: 0.5 }, metrics: [metrics('PD->T2', 0.1, 18.5), metrics('T2->PD', 0.11, 18.1)] },
  { epoch: 2, round: 1, seconds: 31, losses: { generator: 3, discriminator: 0.00002 }, metrics: [metrics('PD->T2', 0.05, Infinity), metrics('T2->PD', 0.06, 21.234)] },
  { epoch: 3, round: 2, losses: { generator: 2.5, discriminator: 0.4 }, metrics: [] },
];
const summary: RunSummary = {
  title: 'CycleGAN <federated> & DP',
  config: { model: 'cyclegan', note: '</pre><script>alert(1)</script>' },
  epochs,
  grids: [
    { path: 'grids/epoch-001.png', epoch: 1, caption: 'PD->T2' },
    { path: 'grids/epoch-002.png', epoch: 2, caption: 'PD->T2 "late"' },
  ],
  startedAt: '2024-06-01T10:00:00Z',
  notes: ['backend js'],
};

test('report: escaped title, facts line, latest metrics of the last evaluated epoch', () => {
  const html = renderReport(summary);
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes('<h1>CycleGAN &lt;federated&gt; &amp; DP</h1>'));
  assert.ok(html.includes('started 2024-06-01T10:00:00Z &middot; epoch 3, round 2 &middot; backend js'));
  assert.ok(html.includes('Test metrics after epoch 2'), 'epoch 3 has no metrics, epoch 2 is the latest evaluated');
  assert.ok(html.includes('<td class="text">PD-&gt;T2</td><td>4</td><td>0.0500</td><td>inf</td><td>0.8123</td>'));
  assert.ok(html.includes('<td>21.23</td>'));
});

test('report: curves inline, grids newest first with column headings, config escaped', () => {
  const html = renderReport(summary);
  assert.ok(html.includes('<div class="curves"><svg xmlns="http://www.w3.org/2000/svg"'));
  const first = html.indexOf('src="grids/epoch-002.png"');
  const second = html.indexOf('src="grids/epoch-001.png"');
  assert.ok(first > 0 && second > first, 'epoch 2 grid before epoch 1');
  assert.ok(html.includes('alt="PD-&gt;T2 &quot;late&quot;"'));
  assert.is((html.match(/<span>input<\/span><span>synthesized<\/span><span>target<\/span>/g) ?? []).length, 2);
  assert.not.ok(html.includes('<script>'), 'config text cannot inject markup');
  assert.ok(html.includes('&lt;/pre&gt;&lt;script&gt;'));
});

test('report: the all-epochs table keeps an unevaluated epoch and shows tiny losses in exponent form', () => {
  const html = renderReport(summary);
  const table = html.slice(html.indexOf('<h2>All epochs</h2>'));
  assert.is((table.match(/<tr class="epoch-start">/g) ?? []).length, 3);
  assert.ok(table.includes('<td>2.00e-5</td>'));
  assert.ok(table.includes('<tr class="epoch-start"><td>3</td><td>2</td><td class="text"></td>'));
});

test('report of a run with no epochs yet', () => {
  const html = renderReport({ title: 'fresh', config: {}, epochs: [], grids: [] });
  assert.ok(html.includes('no epoch finished yet'));
  assert.not.ok(html.includes('<svg'));
  assert.not.ok(html.includes('Samples'));
});

test('runCurves: loss chart plus MAE, PSNR, SSIM per direction; infinite PSNR leaves a gap', () => {
  const svg = runCurves(epochs);
  for (const title of ['Training losses', 'MAE (lower is better)', 'PSNR (higher is better)', 'SSIM (higher is better)']) assert.ok(svg.includes(`>${title}<`), title);
  assert.ok(svg.includes('>T2-&gt;PD Gaussian<') && svg.includes('stroke-dasharray'));
  // losses: 2 lines; MAE: 2; PSNR: T2->PD only (PD->T2 is 18.5 then inf); SSIM: 4.
  assert.is((svg.match(/<polyline /g) ?? []).length, 2 + 2 + 1 + 4);
});

test('runFiles: every text file of the run folder', () => {
  const files = runFiles(summary);
  assert.equal(Object.keys(files).sort(), ['config.json', 'curves.svg', 'metrics.csv', 'metrics.json', 'report.html']);
  assert.equal(JSON.parse(files['config.json']!), summary.config);
  assert.is((JSON.parse(files['metrics.json']!) as { epochs: unknown[] }).epochs.length, 3);
  assert.is(files['metrics.csv']!.trim().split('\n').length, 1 + 2 + 2 + 1);
});

test.run();
