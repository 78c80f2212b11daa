/**
 * A results table in the paper's layout, each of its figures beside ours,
 * and its two text forms: Markdown (a cell reads "ours (paper)") and CSV
 * (an "ours" and a "paper" column for each of the paper's columns, RFC
 * 4180 quoting). Strings out; writing them is the caller's.
 */

import { formatScore } from '../eval/records.js';
import { roundDecimals, type RoundingDirection } from '../fed/dp/rounding.js';

export interface TableCell {
  /** Our figure; null where this grid has none (a model fedmed lacks, an epoch not trained). */
  ours: number | null;
  /** The paper's figure; null where the paper printed none. */
  paper: number | null;
}

export interface TableRow {
  /** The row's labels, one per `keyHeads` entry (e.g. scheme, metric). */
  keys: string[];
  /** Decimals to print (MAE 4, PSNR 2, ...). */
  digits: number;
  /** A guarantee (an epsilon) rounds up, so that the table never claims more privacy than was computed; other figures round to nearest. */
  rounding?: RoundingDirection;
  cells: TableCell[];
}

export interface Table {
  /** File name stem: 'table-3'. */
  id: string;
  /** The paper's caption, shortened: 'Table 3: partitions ...'. */
  title: string;
  /** What our figures are: data, scale, direction. */
  note: string;
  keyHeads: string[];
  columns: string[];
  rows: TableRow[];
  /** The paper's figures as curves over epochs (Fig. 4's, Tables 5-7's), for the page to draw beside ours. */
  paperCurves?: { name: string; points: [number, number][] }[];
}

export function formatNumber(x: number | null, digits: number, rounding?: RoundingDirection): string {
  if (x === null) return '-';
  if (!Number.isFinite(x)) return formatScore(x);
  return (rounding ? roundDecimals(x, digits, rounding) : x).toFixed(digits);
}

/** "ours (paper)", or the one that exists; the paper's figure is printed as it printed it. */
export function cellText(cell: TableCell, row: Pick<TableRow, 'digits' | 'rounding'>): string {
  const ours = formatNumber(cell.ours, row.digits, row.rounding);
  return cell.paper === null ? ours : `${ours} (${formatNumber(cell.paper, row.digits)})`;
}

const mdEscape = (s: string) => s.replaceAll('|', '\\|');

export function tableMarkdown(table: Table): string {
  const head = [...table.keyHeads, ...table.columns].map(mdEscape);
  const lines = [
    `### ${table.title}`,
    '',
    `${table.note} Each cell: ours (the paper's); - where there is none.`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...table.rows.map((r) => `| ${[...r.keys, ...r.cells.map((c) => cellText(c, r))].map(mdEscape).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Numbers at full precision (empty where there is none), so a spreadsheet gets what was measured. */
export function tableCsv(table: Table): string {
  const head = [...table.keyHeads, ...table.columns.flatMap((c) => [`${c} ours`, `${c} paper`])];
  const value = (x: number | null) => (x === null ? '' : String(x));
  const rows = table.rows.map((r) => [...r.keys, ...r.cells.flatMap((c) => [value(c.ours), value(c.paper)])]);
  return [head, ...rows].map((fields) => fields.map(csvField).join(',')).join('\n') + '\n';
}
