/** textTable, the one terminal-table layout, and formatScore's one spelling of what is not finite. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { textTable } from '../../cli/text-table.js';
import { formatScore } from '../../eval/records.js';

test('the first column is left-aligned, the others right-aligned, two spaces apart, as wide as their widest cell', () => {
  const lines = textTable(['', 'MAE', 'PSNR dB'], [['PD->T2', '0.1234', '20.50'], ['  input', '0.0000', formatScore(Infinity, 2)]]);
  assert.equal(lines, [
    '            MAE  PSNR dB',
    'PD->T2   0.1234    20.50',
    '  input  0.0000      inf',
  ]);
});

test('formatScore: inf, -inf and nan for what is not finite, else the decimals asked or every digit', () => {
  assert.equal([Infinity, -Infinity, NaN].map((v) => formatScore(v, 2)), ['inf', '-inf', 'nan']);
  assert.is(formatScore(12.3456, 2), '12.35');
  assert.is(formatScore(0.1 + 0.2), '0.30000000000000004');
});

test.run();
