/**
 * The experiment runner at the tiny scale on the js backend: a cell stopped
 * after its first round resumes to the same end as the train command's
 * resume, a finished cell is skipped untouched, and a folder holding a run
 * of other settings is refused, and so is a folder fedmed cannot prove its
 * own (a cell's or the experiment's). A cell that fails, or whose folder is
 * damaged or holds other settings, is reported failed and the next cells
 * still run; a failed cell's partial figures stay out of the tables. One or
 * a few cells of a grid, a round or two each, keep it fast.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../engine/index.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { latestCheckpoint } from '../../cli/train/checkpoint.js';
import { Progress } from '../../cli/progress.js';
import { experiments, experimentNames } from '../../experiment/grids.js';
import { cellState, claimExperimentFolder, runGrid } from '../../experiment/runner.js';
import { runFolder } from '../../cli/train/run-folder.js';
import { claimFolder, markerFile } from '../../store/folder.js';
import { lockFolder } from '../../store/lock.js';
import { scaleArgs, scaleFor, scales } from '../../experiment/scales.js';
import { experimentTables } from '../../experiment/tables.js';
import { experimentFiles } from '../../experiment/output.js';
import { rejects } from '../helpers/rejects.js';

const out = mkdtempSync(path.join(tmpdir(), 'fedmed-experiment-'));
const tiny = scales.tiny;
const baseArgs = [...scaleArgs(tiny, 'phantom'), '--backend', 'js'];
const context = { scale: tiny, kinds: ['ixi', 'brats'] as const };
const quiet = { progress: null, log: () => {} };

test.before(async () => {
  await setBackend('js');
});

test.after(() => rmSync(out, { recursive: true, force: true }));

test('every grid has distinct cell ids and each cell is a valid train command line', async () => {
  for (const name of experimentNames) {
    const cells = experiments[name].cells(context);
    assert.ok(cells.length > 0, name);
    assert.is(new Set(cells.map((c) => c.id)).size, cells.length, `${name}: repeated cell ids`);
    for (const cell of cells) await trainConfigFromArgs([...baseArgs, ...cell.args]);
  }
  assert.is(experiments.dp.cells(context).length, 9);
  assert.is(experiments.partitions.cells(context).length, 9);
  assert.is(experiments.discriminators.cells(context).length, 6); // D = 2, 4, 8 on IXI's and BraTS's direction
});

test("the cpu scale trains the rounds grid for the paper's 30 epochs, models for 4, the others as the scale says", () => {
  const cells = experiments.rounds.cells({ ...context, scale: scaleFor(scales.cpu, 'rounds') });
  assert.ok(cells.find((c) => c.id === 'centralized')!.args.join(' ').includes('--epochs 30'));
  assert.ok(cells.find((c) => c.id === 'federated')!.args.join(' ').includes('--rounds 10 --local-epochs 3'));
  assert.ok(experiments.models.cells({ ...context, scale: scaleFor(scales.cpu, 'models') })[0]!.args.join(' ').endsWith('--epochs 4'));
  assert.equal(scaleFor(scales.cpu, 'dp'), scales.cpu);
});

test('a dp cell stopped after round 1 resumes to the end; run again, it is skipped', async () => {
  const [cell] = experiments.dp.cells(context);
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const first = await runGrid([cell!], { out, baseArgs, log, train: { ...quiet, stopAfterRounds: 1 } });
  assert.is(first[0]!.records.length, 1);
  const recorded = () => (JSON.parse(readFileSync(path.join(first[0]!.dir, 'config.json'), 'utf8')) as { testSubjects?: string[] }).testSubjects;
  const testSubjects = recorded();
  assert.ok(testSubjects && testSubjects.length > 0, 'a new cell records its test subjects');
  assert.is((await cellState(first[0]!.dir, first[0]!.config)).state, 'partial');

  const second = await runGrid([cell!], { out, baseArgs, log, train: quiet });
  assert.is(second[0]!.action, 'resumed');
  assert.equal(second[0]!.records.map((r) => r.round), [1, 2]);
  assert.equal(recorded(), testSubjects, 'a resumed cell keeps the test subjects its run recorded');
  assert.ok(second[0]!.epsilon! > 0, 'a DP cell reports its epsilon');
  assert.is((await cellState(second[0]!.dir, second[0]!.config)).state, 'done');

  const metrics = path.join(second[0]!.dir, 'metrics.json');
  const written = statSync(metrics).mtimeMs;
  const third = await runGrid([cell!], { out, baseArgs, log, train: quiet });
  assert.is(third[0]!.action, 'skipped');
  assert.equal(third[0]!.records, second[0]!.records);
  assert.is(statSync(metrics).mtimeMs, written, 'a skipped cell is not rewritten');
  assert.ok(lines.some((l) => /^cell 1 of 1, noise-0.5-clip-0.7: finished before, skipped$/.test(l)), lines.join('\n'));

  // Stopped after its last checkpoint but before the run files after it: not finished until a resume writes them.
  const { epochs } = JSON.parse(readFileSync(metrics, 'utf8')) as { epochs: unknown[] };
  writeFileSync(metrics, JSON.stringify({ epochs: epochs.slice(0, 1) }));
  const fourth = await runGrid([cell!], { out, baseArgs, log, train: quiet });
  assert.is(fourth[0]!.action, 'resumed');
  assert.equal(fourth[0]!.records, second[0]!.records, "the run files are the checkpoint's again");
});

test('a folder holding a run of other settings is refused, naming the settings', async () => {
  const [, cell] = experiments.dp.cells(context);
  const config = await trainConfigFromArgs([...baseArgs, ...cell!.args]);
  const dir = path.join(out, cell!.id);
  await claimFolder(dir, runFolder); // a fedmed run of its own, stopped before its first checkpoint
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, width: 7 }));
  await rejects(() => cellState(dir, config), /holds a run with other settings \(width\)/);
  assert.ok(readFileSync(path.join(dir, 'config.json'), 'utf8').includes('"width":7'), 'the folder is left alone');
  writeFileSync(path.join(dir, 'config.json'), '{"data": "phan');
  await rejects(() => cellState(dir, config), /config\.json: not valid JSON/);
  // Read as train --resume reads it: a damaged file is named as such, never taken for other settings.
  writeFileSync(path.join(dir, 'config.json'), 'null');
  await rejects(() => cellState(dir, config), /config\.json: not a run's config \(a JSON object of its settings\)$/);
  writeFileSync(path.join(dir, 'config.json'), '{"backend": "foo"}');
  await rejects(() => cellState(dir, config), /config\.json: backend "foo" is not one of/);
});

test("a cell whose latest checkpoint is damaged fails naming the intact round it kept and the way back, as train --resume does", async () => {
  const [cell] = experiments.rounds.cells(context); // keeps round 1 (--keep-rounds) for its latent figure
  const [finished] = await runGrid([cell!], { out: path.join(out, 'damaged'), baseArgs, log: () => {}, train: quiet });
  assert.is((await cellState(finished!.dir, finished!.config)).state, 'done', 'a finished centralized cell (records by epoch) is done');
  const latest = (await latestCheckpoint(finished!.dir))!;
  writeFileSync(path.join(latest, 'progress.json'), '{}');
  await rejects(() => cellState(finished!.dir, finished!.config), /progress\.json: its contents differ from manifest\.json .*; .*round-0001 is intact: to resume from it/);
});

test('with holdLocks, each cell stays locked after its results are read, until the caller lets it go', async () => {
  const [cell] = experiments.dp.cells(context);
  const held: (() => void)[] = [];
  const [result] = await runGrid([cell!], { out: path.join(out, 'held'), baseArgs, log: () => {}, train: quiet, holdLocks: (release) => held.push(release) });
  assert.is(held.length, 1);
  await rejects(() => lockFolder(result!.dir, runFolder.kind), /in use by pid \d+/);
  held[0]!();
  (await lockFolder(result!.dir, runFolder.kind))();
});

test("a cell whose checkpoints outlive its config.json is this cell's run, resumed or skipped, never trained over", async () => {
  const [cell] = experiments.dp.cells(context);
  const where = path.join(out, 'no-config');
  const [finished] = await runGrid([cell!], { out: where, baseArgs, log: () => {}, train: quiet });
  rmSync(path.join(finished!.dir, 'config.json'));
  const checkpoint = await latestCheckpoint(finished!.dir);
  assert.is((await cellState(finished!.dir, finished!.config)).state, 'done');
  const [again] = await runGrid([cell!], { out: where, baseArgs, log: () => {}, train: quiet });
  assert.is(again!.action, 'skipped');
  assert.is(await latestCheckpoint(finished!.dir), checkpoint, 'its checkpoints are kept');
});

test("a cell folder or experiment folder fedmed cannot prove its own is refused and left alone; an earlier fedmed's experiment is recognised", async () => {
  const cells = experiments.dp.cells(context);
  const config = await trainConfigFromArgs([...baseArgs, ...cells[2]!.args]);
  const foreign = path.join(out, 'foreign');
  mkdirSync(path.join(foreign, cells[2]!.id, 'checkpoints'), { recursive: true });
  writeFileSync(path.join(foreign, cells[2]!.id, 'config.json'), '{"lr":3}');
  await rejects(() => cellState(path.join(foreign, cells[2]!.id), config), /noise-.*: holds checkpoints, config\.json, not a fedmed training run; give a new or empty folder/);
  writeFileSync(path.join(foreign, 'thesis.txt'), 'mine');
  await rejects(() => claimExperimentFolder(foreign, 'dp', cells), /foreign: holds noise-[^,]*, thesis\.txt, not a fedmed experiment dp; give a new or empty folder/);
  assert.equal(readdirSync(foreign).sort(), [cells[2]!.id, 'thesis.txt']);

  const fresh = path.join(out, 'fresh');
  const release = await claimExperimentFolder(fresh, 'dp', cells);
  // A second experiment on a folder in use is refused at once, before it reads or writes anything.
  const before = readdirSync(fresh).sort();
  await rejects(() => claimExperimentFolder(fresh, 'dp', cells), /fresh: in use by pid \d+/);
  assert.equal(readdirSync(fresh).sort(), before);
  release();
  (await claimExperimentFolder(fresh, 'dp', cells))(); // run again: continued
  await rejects(() => claimExperimentFolder(fresh, 'models', experiments.models.cells(context)), /fresh: holds a fedmed experiment dp, not a fedmed experiment models; give another folder/);
  await rejects(() => claimFolder(fresh, runFolder), /holds a fedmed experiment dp, not a fedmed training run/);

  const earlier = path.join(out, 'earlier');
  mkdirSync(path.join(earlier, cells[0]!.id), { recursive: true });
  for (const f of ['tables.md', 'index.html', 'table4.csv']) writeFileSync(path.join(earlier, f), '');
  (await claimExperimentFolder(earlier, 'dp', cells))();
  assert.ok(readdirSync(earlier).includes(markerFile));
});

test('a cell that fails is reported and the next cell still runs', async () => {
  const [first, second] = experiments.rounds.cells(context);
  const lines: string[] = [];
  const missing = path.join(out, 'no-such-data');
  const results = await runGrid([first!, second!], { out: path.join(out, 'failing'), baseArgs: [...scaleArgs(tiny, missing), '--backend', 'js'], log: (l) => lines.push(l), train: quiet });
  assert.equal(results.map((r) => r.action), ['failed', 'failed']);
  assert.match(results[0]!.error!, /no-such-data/);
  assert.equal(results[0]!.records, []);
  assert.ok(lines.some((l) => l.startsWith('cell 2 of 2, centralized-dp: training')), lines.join('\n'));
});

/** A test double of the progress line: its first step throws, as a non-finite loss or unreadable data would part way through a round. */
class FailingProgress extends Progress {
  override update(): void {
    throw new Error('loss is NaN (FailingProgress, a test double)');
  }
}

test("a cell that fails after its first checkpoint is marked failed: its round-1 figures are not in the tables as its results", async () => {
  const cell = experiments.dp.cells(context)[3]!;
  const grid = path.join(out, 'fails-later');
  await runGrid([cell], { out: grid, baseArgs, log: () => {}, train: { ...quiet, stopAfterRounds: 1 } });
  const [failed] = await runGrid([cell], { out: grid, baseArgs, log: () => {}, train: { ...quiet, progress: new FailingProgress() } });
  assert.is(failed!.action, 'failed');
  assert.match(failed!.error!, /FailingProgress/);
  assert.is(failed!.records.length, 1, 'its finished round is still read (the curves show it)');
  const tables = experimentTables('dp', [failed!], context);
  assert.ok(tables[0]!.rows.every((row) => row.cells.every((c) => c.ours === null)), 'every figure of Table 4 is -');
  const cells = experimentFiles({ name: 'dp', scale: 'tiny', tables, results: [failed!] })['tables.md']!.split('\n').filter((l) => l.includes(`[${cell.id}]`));
  assert.match(cells[0]!, /failed/);
});

test('a damaged cell folder or one holding other settings is reported failed, naming it and why, and the next cell still runs', async () => {
  const [centralized, centralizedDp, federated] = experiments.rounds.cells(context);
  const grid = path.join(out, 'damaged');
  await runGrid([centralized!], { out: grid, baseArgs, log: () => {}, train: { ...quiet, stopAfterRounds: 1 } });
  const checkpoint = (await latestCheckpoint(path.join(grid, centralized!.id)))!;
  const weights = path.join(checkpoint, 'generators.safetensors');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 3] ^= 0xff; // one weight changed: the manifest's SHA-256 no longer matches
  writeFileSync(weights, bytes);
  const other = path.join(grid, centralizedDp!.id);
  await claimFolder(other, runFolder);
  const config = await trainConfigFromArgs([...baseArgs, ...centralizedDp!.args]);
  writeFileSync(path.join(other, 'config.json'), JSON.stringify({ ...config, width: 7 }));

  const lines: string[] = [];
  const results = await runGrid([centralized!, centralizedDp!, federated!], { out: grid, baseArgs, log: (l) => lines.push(l), train: { ...quiet, stopAfterRounds: 1 } });
  assert.equal(results.map((r) => r.action), ['failed', 'failed', 'trained']);
  assert.match(results[0]!.error!, /generators\.safetensors: its contents differ from manifest\.json \(SHA-256 mismatch\)/);
  assert.ok(results[0]!.error!.startsWith(path.join(grid, centralized!.id)), results[0]!.error);
  assert.is(results[0]!.folderTaken, undefined);
  assert.match(results[1]!.error!, /centralized-dp: holds a run with other settings \(width\)/);
  assert.is(results[1]!.folderTaken, true, 'a folder of other settings is a usage error (exit 2), not a failed run');
  assert.ok(readFileSync(path.join(other, 'config.json'), 'utf8').includes('"width":7'), 'the folder is left alone');
  assert.is(lines.filter((l) => /^cell [12] of 3, centralized(-dp)?: failed: /.test(l)).length, 2, lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('cell 3 of 3, federated: training')), lines.join('\n'));
});

test.run();
