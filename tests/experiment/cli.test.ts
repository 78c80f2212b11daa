/** fedmed experiment's command line: --help names every experiment and scale and counts the cells as the grids do, a wrong NAME or scale, or an --out that is not fedmed's, is one line and exit 2, cell folders that are damaged or taken are one failed line each, the tables still written, and a full disk stops it with 74. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { experimentNames, experiments, type ExperimentName } from '../../experiment/grids.js';
import { scaleArgs, scaleFor, scaleNames, scales } from '../../experiment/scales.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { runFolder } from '../../cli/train/run-folder.js';
import { claimFolder } from '../../store/folder.js';
import { everyBackend, testOn } from '../helpers/backends.js';
import { fedmed, fedmedWithFullDisk, scratchDir } from '../cli/helpers.js';

test('--help lists every experiment and every scale', () => {
  const r = fedmed('experiment', '--help');
  assert.is(r.code, 0);
  for (const name of [...experimentNames, ...scaleNames]) assert.match(r.out, new RegExp(`^  ${name} `, 'm'));
});

test("--help's cell counts are the grids' on the phantom", () => {
  const cpu = fedmed('experiment', '--help').out.split('\n').find((l) => l.startsWith('  cpu '))!;
  const counts = [...cpu.matchAll(/(\w+) \((\d+) cells/g)];
  assert.ok(counts.length > 0, cpu);
  for (const [, name, count] of counts) {
    const cells = experiments[name as ExperimentName].cells({ scale: scaleFor(scales.cpu, name as ExperimentName), kinds: ['ixi', 'brats'] });
    assert.is(Number(count), cells.length, name);
  }
});

for (const [args, message] of [
  [['experiment', 'tables', '--scale', 'tiny'], /^fedmed: unknown experiment 'tables'; choose one of models, partitions, dp, rounds, discriminators, epsilon\n$/],
  [['experiment', 'dp', '--scale', 'huge'], /^fedmed: --scale is one of tiny\|cpu\|paper, got 'huge'\n$/],
  [['experiment', 'dp'], /^fedmed: --scale is required/],
  [['experiment', '--scale', 'tiny'], /^fedmed: fedmed experiment needs a NAME/],
] as const) {
  test(`fedmed ${args.join(' ')}: one line, exit 2`, () => {
    const r = fedmed(...args);
    assert.is(r.code, 2);
    assert.match(r.err, message);
    assert.is(r.err.trim().split('\n').length, 1);
  });
}

test('--out holding what fedmed did not write is refused before any cell trains, one line, exit 2, the folder left as it was', () => {
  const out = scratchDir('experiment-foreign');
  writeFileSync(`${out}/thesis.txt`, 'mine');
  const r = fedmed('experiment', 'dp', '--scale', 'tiny', '--backend', 'js', '--out', out);
  assert.is(r.code, 2, r.err);
  assert.is(r.err, `fedmed: ${out}: holds thesis.txt, not a fedmed experiment dp; give a new or empty folder (fedmed never writes over files it cannot prove its own, --force or not)\n`);
  assert.equal(readdirSync(out), ['thesis.txt']);
});

test("cell folders that are damaged or hold other settings: each is one failed line, the tables are written, exit 2 (a folder taken) or 1; when no cell's run has these settings, nothing runs, exit 2", async () => {
  const out = `${scratchDir('experiment-cells')}/rounds`;
  const cells = experiments.rounds.cells({ scale: scales.tiny, kinds: ['ixi', 'brats'] });
  const run = () => fedmed('experiment', 'rounds', '--scale', 'tiny', '--backend', 'js', '--out', out);
  for (const cell of cells) {
    await claimFolder(`${out}/${cell.id}`, runFolder);
    writeFileSync(`${out}/${cell.id}/config.json`, '{"data": "phan'); // damaged: nothing trains, so the test stays fast
  }
  // A run of other settings, as fedmed writes its config (a config.json that is no run's config is damaged, not other settings).
  const otherWidth = async (i: number) => JSON.stringify({ ...(await trainConfigFromArgs([...scaleArgs(scales.tiny, 'phantom'), ...cells[i]!.args])), width: 7 });
  writeFileSync(`${out}/${cells[0]!.id}/config.json`, await otherWidth(0));
  // Cell 2 holds a run of these settings whose checkpoint is gone: the folder is this experiment's, cell 1 the odd one.
  writeFileSync(`${out}/${cells[1]!.id}/config.json`, JSON.stringify(await trainConfigFromArgs([...scaleArgs(scales.tiny, 'phantom'), ...cells[1]!.args])));
  mkdirSync(`${out}/${cells[1]!.id}/checkpoints`);
  writeFileSync(`${out}/${cells[1]!.id}/checkpoints/latest`, 'round-0009\n');
  const taken = run();
  assert.is(taken.code, 2, taken.err);
  const failedLines = taken.err.split('\n').filter((l) => / failed: /.test(l));
  assert.equal(failedLines.map((l) => l.split(':')[0]), cells.map((c, i) => `cell ${i + 1} of ${cells.length}, ${c.id}`));
  assert.match(failedLines[0]!, new RegExp(`${out}/${cells[0]!.id}: holds a run with other settings`));
  assert.match(failedLines[1]!, new RegExp(`${out}/${cells[1]!.id}/checkpoints/round-0009`));
  assert.match(failedLines[2]!, /config\.json: not valid JSON/);
  assert.ok(existsSync(`${out}/tables.md`), 'the tables are written');
  assert.match(taken.err, /4 of 4 cells failed/);

  writeFileSync(`${out}/${cells[0]!.id}/config.json`, '{"data": "phan');
  const damaged = run();
  assert.is(damaged.code, 1, damaged.err);

  for (const [i, cell] of cells.entries()) writeFileSync(`${out}/${cell.id}/config.json`, await otherWidth(i));
  const tables = readFileSync(`${out}/tables.md`, 'utf8');
  const other = run();
  assert.is(other.code, 2, other.err);
  assert.match(other.err, new RegExp(`^fedmed: ${out}: its cells hold runs with other settings \\(.*width.*\\); give the --scale and --data they were made with, or another --out$`, 'm'));
  assert.not.match(other.err, /cell 1 of/);
  assert.is(readFileSync(`${out}/tables.md`, 'utf8'), tables, 'the tables are left as they were');
});

test('a full disk (the test double tests/helpers/full-disk.ts) stops the experiment at once with exit 74, naming the file: every later cell would fail alike', () => {
  const out = `${scratchDir('experiment-full')}/rounds`;
  const r = fedmedWithFullDisk(3000, 'experiment', 'rounds', '--scale', 'tiny', '--backend', 'js', '--out', out);
  assert.is(r.code, 74, r.err);
  assert.match(r.err.trim().split('\n').at(-1)!, /^fedmed: .*\/centralized\/.*: cannot write: no space left on the device \(ENOSPC\)$/);
  assert.not.match(r.err, /cell 2 of 4/);
});

testOn(everyBackend.find((b) => b.label === 'webgpu')!, 'experiment --workers 2 is refused once, before any cell trains (one GPU device per process)', () => {
  const out = `${scratchDir('experiment-workers')}/dp`;
  const r = fedmed('experiment', 'dp', '--scale', 'tiny', '--backend', 'webgpu', '--workers', '2', '--out', out);
  assert.is(r.code, 2);
  assert.match(r.err, /^fedmed: --workers 2: webgpu trains in one process/m);
  assert.not.match(r.err, /cell 1 of/);
});

test.run();
