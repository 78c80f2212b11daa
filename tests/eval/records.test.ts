import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meanImageMetrics, metricsCsv, metricsJson, type EpochRecord } from '../../eval/records.js';

const epochs: EpochRecord[] = [
  {
    epoch: 1,
    round: 1,
    seconds: 12.5,
    losses: { generator: 3.25, discriminator: 0.5 },
    metrics: [
      { direction: 'T1->T2', images: 8, mae: 0.125, psnr: 21.75, ssim: 0.8, ssimGaussian: 0.75, ssimGlobal: 0.9 },
      { direction: 'T2->T1, "fast"', images: 8, mae: 0.1, psnr: Infinity, ssim: 1, ssimGaussian: 1, ssimGlobal: 0.999 },
    ],
  },
  {
    epoch: 2,
    losses: { generator: 2.5, identity: 0.0001 },
    metrics: [{ direction: 'T1->T2', images: 8, mae: 0.0625, psnr: 24.000000000000004, ssim: 0.85, ssimGaussian: 0.8, ssimGlobal: NaN }],
  },
];

/** A small RFC 4180 reader (quotes, doubled quotes, commas inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += ch;
  }
  assert.is(cell + row.join(''), '', 'text ends with a newline');
  return rows;
}

test('metrics.csv: tidy lines per epoch and direction, losses as the union of names', () => {
  const [header, ...lines] = parseCsv(metricsCsv(epochs));
  assert.equal(header, [
    'epoch', 'round', 'seconds', 'direction', 'images', 'mae', 'psnr', 'ssim', 'ssim_gaussian', 'ssim_global',
    'loss_generator', 'loss_discriminator', 'loss_identity',
  ]);
  assert.equal(lines, [
    ['1', '1', '12.5', 'T1->T2', '8', '0.125', '21.75', '0.8', '0.75', '0.9', '3.25', '0.5', ''],
    ['1', '1', '12.5', 'T2->T1, "fast"', '8', '0.1', 'inf', '1', '1', '0.999', '3.25', '0.5', ''],
    ['2', '', '', 'T1->T2', '8', '0.0625', '24.000000000000004', '0.85', '0.8', 'nan', '2.5', '', '0.0001'],
  ]);
});

test('metrics.csv keeps an epoch without test metrics as one line of losses', () => {
  const [, ...lines] = parseCsv(metricsCsv([{ epoch: 7, losses: { generator: 1.5 }, metrics: [] }]));
  assert.equal(lines, [['7', '', '', '', '', '', '', '', '', '', '1.5']]);
});

test('metrics.csv numbers read back exactly', () => {
  const [, ...lines] = parseCsv(metricsCsv(epochs));
  assert.is(Number(lines[2]![6]), 24.000000000000004);
  assert.is(Number(lines[2]![12]), 0.0001);
});

test('metrics.json holds the records, with non-finite numbers as null', () => {
  const parsed = JSON.parse(metricsJson(epochs)) as { epochs: EpochRecord[] };
  assert.is(parsed.epochs.length, 2);
  assert.is(parsed.epochs[0]!.metrics[1]!.psnr, null);
  assert.is(parsed.epochs[1]!.metrics[0]!.ssimGlobal, null);
  assert.equal(parsed.epochs[0]!.metrics[0], epochs[0]!.metrics[0]);
  assert.equal(parsed.epochs[1]!.losses, { generator: 2.5, identity: 0.0001 });
});

test('meanImageMetrics averages every field; an exact slice makes mean PSNR infinite', () => {
  const mean = meanImageMetrics([
    { mae: 0.1, psnr: 20, ssim: 0.5, ssimGaussian: 0.4 },
    { mae: 0.3, psnr: 30, ssim: 0.7, ssimGaussian: 0.6 },
  ]);
  assert.equal(mean, { mae: 0.2, psnr: 25, ssim: 0.6, ssimGaussian: 0.5 });
  assert.is(meanImageMetrics([{ mae: 0, psnr: Infinity, ssim: 1, ssimGaussian: 1 }]).psnr, Infinity);
  assert.throws(() => meanImageMetrics([]), /no rows/);
});

test.run();
