/**
 * The rounds experiment at the tiny scale (20 subjects, wasm) draws the
 * paper's Fig. 5: each of its four cells keeps its middle round's checkpoint
 * (round 1 of 2) and gets a figure of the four kinds at rounds 1 and 2 (as
 * fedmed latent draws them), embedded in tables.md and index.html with the
 * paper's panel letters. 12 samples a kind, to keep it short.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../engine/index.js';
import { installNodePlatform } from '../../platform/node.js';
import { experiments } from '../../experiment/grids.js';
import { writeLatentFigures } from '../../experiment/latent-figures.js';
import { experimentFiles } from '../../experiment/output.js';
import { runGrid } from '../../experiment/runner.js';
import { scaleArgs, scales } from '../../experiment/scales.js';
import { experimentTables } from '../../experiment/tables.js';

const out = mkdtempSync(path.join(tmpdir(), 'fedmed-experiment-latent-'));
const context = { scale: scales.tiny, kinds: ['ixi', 'brats'] as const };

test.before(async () => {
  installNodePlatform(); // the wasm backend loads its module through the Node platform
  await setBackend('wasm');
});

test.after(() => rmSync(out, { recursive: true, force: true }));

test("rounds: a figure per cell at its middle and last round, in tables.md and index.html as the paper's Fig. 5 (a)-(d)", async () => {
  const experiment = experiments.rounds;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  // 20 subjects on wasm: about a third of the time of the scale's 50 on js; 4 clients still get subjects each.
  const trained = await runGrid(experiment.cells(context), { out, baseArgs: [...scaleArgs(scales.tiny, 'phantom'), '--subjects', '20', '--backend', 'wasm'], log, train: { progress: null, log: () => {} } });
  const results = await writeLatentFigures(trained, experiment.latentFigures!, { samples: 12, log });
  assert.equal(lines.filter((l) => l.includes('latent')), [], 'no figure failed');
  assert.equal(results.map((r) => [r.cell.id, r.latent?.panel]), [['centralized', '(a)'], ['centralized-dp', '(b)'], ['federated', '(c)'], ['federated-dp', '(d)']]);
  for (const r of results) {
    assert.equal(r.latent!.figures.map((f) => f.round), [1, 2], `${r.cell.id}: the middle round kept, and the last`);
    for (const { file, round } of r.latent!.figures) {
      const svg = readFileSync(path.join(r.dir, file), 'utf8');
      assert.ok(svg.startsWith('<svg') && svg.includes(`${r.latent!.panel} ${r.cell.id}, round ${round}`), `${r.cell.id} ${file}`);
      assert.is([...svg.matchAll(/<circle [^>]*fill-opacity/g)].length, 4 * 12, `${r.cell.id}: 4 kinds x 12 samples`);
    }
  }
  const files = experimentFiles({ name: 'rounds', scale: 'tiny', tables: experimentTables('rounds', results, context), results });
  for (const r of results) {
    for (const round of [1, 2]) {
      assert.ok(files['tables.md']!.includes(`![${r.latent!.panel} ${r.cell.id}, round ${round}](${r.cell.id}/latent-round-${round}.svg)`), r.cell.id);
      assert.ok(files['index.html']!.includes(`<img src="${r.cell.id}/latent-round-${round}.svg"`), r.cell.id);
    }
  }
  assert.ok(files['index.html']!.includes("Latent space (the paper&#39;s Fig. 5)"));

  const failed = await writeLatentFigures([{ ...trained[0]!, action: 'failed', error: 'loss is NaN' }], experiment.latentFigures!, { samples: 12, log });
  assert.is(failed[0]!.latent, undefined, "a failed cell's checkpoints are not drawn as its figure");
});

test.run();
