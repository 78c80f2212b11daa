/**
 * The end of an experiment whose grid the paper drew in latent space (rounds:
 * Fig. 5): each checkpoint a listed cell kept (its middle round and its
 * last) drawn by fedmed latent's own code into <cell>/latent-round-N.svg, for
 * the tables and the page to show. A cell that failed (its rounds are no
 * result of its settings, and its line was logged) gets none; one whose
 * figure fails is logged and left without one; the others still get theirs.
 */
import path from 'node:path';
import { latentFigure, readRoundCheckpoint } from '../cli/latent-figure.js';
import { keptRounds } from '../cli/train/checkpoint.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { CellResult } from './runner.js';

/** The paper's sample count per kind. */
export const LATENT_SAMPLES = 400;
const fileOf = (round: number) => `latent-round-${round}.svg`;

/** Writes the figures of the cells in `panels` (cell id -> the paper's panel letter); the backend must be set. */
export async function writeLatentFigures(
  results: readonly CellResult[],
  panels: Readonly<Record<string, string>>,
  options: { samples?: number; log: (line: string) => void },
): Promise<CellResult[]> {
  const drawn: CellResult[] = [];
  for (const result of results) {
    const panel = panels[result.cell.id];
    if (panel === undefined || result.action === 'failed') {
      drawn.push(result);
      continue;
    }
    try {
      const figures: { file: string; round: number }[] = [];
      for (const round of await keptRounds(result.dir)) {
        const checkpoint = await readRoundCheckpoint(result.dir, round);
        const figure = await latentFigure(checkpoint, { samples: options.samples ?? LATENT_SAMPLES, label: `${panel} ${result.cell.id}` });
        await writeFileAtomic(path.join(result.dir, fileOf(round)), figure.svg);
        figures.push({ file: fileOf(round), round });
      }
      drawn.push({ ...result, latent: { panel, figures } });
    } catch (e) {
      options.log(`${result.cell.id}: no latent-space figure: ${(e as Error).message.split('\n')[0]}`);
      drawn.push(result);
    }
  }
  return drawn;
}
