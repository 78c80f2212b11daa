/**
 * The files an experiment leaves in its folder beside the cells' run
 * folders: tables.md (every table, the latent-space figures where there are
 * any, then the cells with their training time), one CSV per table, and
 * index.html. Strings out, by file name.
 */
import { trainingSeconds, type CellResult } from './runner.js';
import { tableCsv, tableMarkdown, type Table } from './table.js';
import { experimentPage } from './page.js';

export interface ExperimentSummary {
  name: string;
  scale: string;
  tables: readonly Table[];
  results: readonly CellResult[];
}

export const LATENT_HEADING = "Latent space (the paper's Fig. 5)";
export const LATENT_NOTE =
  "Each cell's generators halfway through training and at its end (fedmed latent; a round of a centralized cell is an epoch): the U-Net's fifth down block (the fourth at 32 px), each sample reduced to x and y, the means of the two halves of the last dimension; real A and fake A through G_ab's down blocks, real B and fake B through G_ba's.";

/** The cells' latent-space figures, where the experiment draws them. */
function latentMarkdown(results: readonly CellResult[]): string {
  const drawn = results.filter((r) => r.latent);
  if (!drawn.length) return '';
  const images = drawn.flatMap((r) => r.latent!.figures.map((f) => `![${latentCaption(r, f.round)}](${r.cell.id}/${f.file})`));
  return [`## ${LATENT_HEADING}`, '', LATENT_NOTE, '', ...images].join('\n') + '\n';
}

/** A latent figure's caption: the paper's panel, the cell and the round drawn. */
export function latentCaption(result: CellResult, round: number): string {
  return `${result.latent!.panel} ${result.cell.id}, round ${round}`;
}

/** The Cells table's epochs entry: the last epoch trained, and for a failed cell why it stopped there. */
export function cellEpochs(result: CellResult): string {
  const epochs = String(result.records.at(-1)?.epoch ?? 0);
  return result.action === 'failed' ? `${epochs} (failed: ${result.error})` : epochs;
}

function cellsMarkdown(results: readonly CellResult[]): string {
  const total = results.reduce((s, r) => s + trainingSeconds(r), 0);
  return [
    '## Cells',
    '',
    `Each is a run folder of fedmed train (its report.html shows curves and grids). Training time in all: ${(total / 60).toFixed(1)} min.`,
    '',
    '| cell | epochs | training s | fedmed train flags |',
    '|---|---|---|---|',
    ...results.map((r) => `| [${r.cell.id}](${r.cell.id}/report.html) | ${cellEpochs(r).replaceAll('|', '\\|')} | ${trainingSeconds(r).toFixed(0)} | \`${r.cell.args.join(' ')}\` |`),
  ].join('\n') + '\n';
}

export function experimentFiles(summary: ExperimentSummary): Record<string, string> {
  const markdown = [`# fedmed experiment ${summary.name}, scale ${summary.scale}`, '', ...summary.tables.map(tableMarkdown), latentMarkdown(summary.results), cellsMarkdown(summary.results)].filter(Boolean).join('\n');
  const files: Record<string, string> = { 'tables.md': markdown, 'index.html': experimentPage(summary) };
  for (const t of summary.tables) files[`${t.id}.csv`] = tableCsv(t);
  return files;
}
