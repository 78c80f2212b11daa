/**
 * store/: manifests catch a changed file and name it, settings differences
 * name their keys, pointers stay inside their folder, a folder is claimed
 * only when new, empty or provably fedmed's (and a taken one cleared only
 * with force), and file-system errors read as one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileError, FileSystemError } from '../../store/atomic.js';
import { checkFolder, claimFolder, FolderTakenError, markerFile, probeOutputFolder, readPointer, removeTempFiles } from '../../store/folder.js';
import { changedKeys, fingerprint, verifyFolder, writeManifest } from '../../store/manifest.js';
import { rejects } from '../helpers/rejects.js';
import { scratchDir } from '../cli/helpers.js';

/** A new empty folder, removed at exit. */
const fresh = () => scratchDir('store');

test('a manifest verifies its files and names the one that changed', async () => {
  const dir = fresh();
  writeFileSync(path.join(dir, 'a.bin'), 'weights');
  writeFileSync(path.join(dir, 'b.json'), '{}');
  const m = await writeManifest(dir, ['a.bin', 'b.json'], { seed: 3, target: 'T2' });
  assert.is(m.fingerprint, fingerprint({ target: 'T2', seed: 3 }), 'key order does not matter');
  assert.equal((await verifyFolder(dir))!.settings, { seed: 3, target: 'T2' });
  writeFileSync(path.join(dir, 'a.bin'), 'weighTs');
  await rejects(() => verifyFolder(dir), /a\.bin: its contents differ from manifest\.json/);
  await rejects(() => verifyFolder(fresh()), /no manifest\.json/);
  assert.is(await verifyFolder(fresh(), { optional: true }), null);
});

test('changedKeys names every differing key, nested values compared whole', () => {
  assert.equal(changedKeys({ a: 1, b: [1, 2], c: 'x' }, { a: 1, b: [1, 3], d: 0, c: 'x' }), ['b', 'd']);
  assert.equal(changedKeys({ w: { x: 1, y: 2 } }, { w: { y: 2, x: 1 } }), []);
});

test('readPointer follows a name inside its folder and refuses one outside, or a link out', async () => {
  const dir = fresh();
  mkdirSync(path.join(dir, 'round-0001'));
  writeFileSync(path.join(dir, 'latest'), 'round-0001\n');
  assert.is(await readPointer(path.join(dir, 'latest')), path.join(dir, 'round-0001'));
  assert.is(await readPointer(path.join(dir, 'missing')), null);
  for (const name of ['../elsewhere', '/etc', '.', '']) {
    writeFileSync(path.join(dir, 'latest'), name);
    await rejects(() => readPointer(path.join(dir, 'latest')), /which is not inside/);
  }
  symlinkSync(os.tmpdir(), path.join(dir, 'link'));
  writeFileSync(path.join(dir, 'latest'), 'link');
  await rejects(() => readPointer(path.join(dir, 'latest')), /which is not inside/);
});

const run = { kind: 'training run', owned: ['config.json', 'privacy.json', 'checkpoints'] };

/** The FolderTakenError `fn` throws. */
async function taken(fn: () => Promise<unknown>): Promise<FolderTakenError> {
  const error = await fn().then(() => null, (e: unknown) => e);
  assert.instance(error, FolderTakenError, 'the folder was claimed');
  return error as FolderTakenError;
}

test('claimFolder marks a new folder; a marked one is refused, or with force loses its owned entries and keeps the rest', async () => {
  const dir = path.join(fresh(), 'new');
  assert.is(await claimFolder(dir, run), 'fresh');
  assert.equal(readdirSync(dir), [markerFile]);
  assert.is(await claimFolder(dir, run), 'fresh', 'claimed, but nothing of a run written yet');
  const dead = spawnSync(process.execPath, ['-e', '']).pid; // a writer that has exited
  const inFlight = `y.json.${process.pid}.0.fedmed.tmp`; // a live writer's (a second starter's probe, say)
  for (const f of ['config.json', 'privacy.json', 'notes.txt', `x.json.${dead}.2.fedmed.tmp`, inFlight, 'draft.1.2.tmp']) writeFileSync(path.join(dir, f), '');
  assert.is((await taken(() => claimFolder(dir, run))).holder, 'training run');
  assert.is(await claimFolder(dir, { ...run, force: true }), 'replaced');
  assert.equal(readdirSync(dir).sort(), ['draft.1.2.tmp', markerFile, 'notes.txt', inFlight], "force removes only fedmed's temporary files, and of those only what a kill left");
});

test('a folder fedmed cannot prove its own is refused, with force too, naming what it holds, and left as it was', async () => {
  const foreign = fresh();
  mkdirSync(path.join(foreign, 'checkpoints'));
  writeFileSync(path.join(foreign, 'checkpoints', 'resnet50_best.pt'), 'w');
  writeFileSync(path.join(foreign, 'config.json'), '{"lr":3}');
  const unrelated = fresh();
  for (const f of ['thesis.txt', 'report.html', 'metrics.csv', 'b.txt']) writeFileSync(path.join(unrelated, f), 'mine');
  const otherMarker = fresh();
  writeFileSync(path.join(otherMarker, markerFile), '{"version": 2}'); // someone else's fedmed.json
  for (const [dir, holds] of [[foreign, 'checkpoints, config.json'], [unrelated, 'b.txt, metrics.csv, report.html, ... (4 entries)'], [otherMarker, markerFile]] as const) {
    const before = readdirSync(dir, { recursive: true }).sort();
    for (const force of [false, true]) {
      const e = await taken(() => claimFolder(dir, { ...run, force }));
      assert.is(e.holder, null);
      assert.is(e.message, `${dir}: holds ${holds}, not a fedmed training run; give a new or empty folder (fedmed never writes over files it cannot prove its own, --force or not)`);
    }
    assert.equal(readdirSync(dir, { recursive: true }).sort(), before);
  }
  assert.is(readFileSync(path.join(foreign, 'checkpoints', 'resnet50_best.pt'), 'utf8'), 'w');
});

test('another kind of fedmed folder is refused naming it; an unmarked folder the rule recognises is taken and replaced by force', async () => {
  const experiment = fresh();
  await claimFolder(experiment, { kind: 'experiment dp', owned: [] });
  writeFileSync(path.join(experiment, 'tables.md'), '');
  const e = await taken(() => claimFolder(experiment, { ...run, force: true }));
  assert.is(e.message, `${experiment}: holds a fedmed experiment dp, not a fedmed training run; give another folder`);
  const earlier = fresh();
  for (const f of ['config.json', 'privacy.json', 'notes.txt']) writeFileSync(path.join(earlier, f), '');
  const recognised = { ...run, recognise: async (_dir: string, entries: readonly string[]) => entries.includes('privacy.json') };
  assert.is(await checkFolder(earlier, recognised), 'taken');
  assert.is(await claimFolder(earlier, { ...recognised, force: true }), 'replaced');
  assert.equal(readdirSync(earlier).sort(), [markerFile, 'notes.txt']);
});

test("removeTempFiles removes what a killed writeFileAtomic leaves, at any depth, and nothing else: a live writer's are its writes in flight", async () => {
  const dir = fresh();
  mkdirSync(path.join(dir, 'sub'));
  const dead = spawnSync(process.execPath, ['-e', '']).pid; // a writer that has exited
  const live = `c.bin.${process.pid}.0.fedmed.tmp`;
  const someonesElse = `notes.${dead}.1.tmp`; // no fedmed name, whatever its digits
  for (const f of [`a.bin.${dead}.0.fedmed.tmp`, `sub/b.json.${dead}.3.fedmed.tmp`, live, someonesElse, 'keep.tmp', 'keep.bin']) writeFileSync(path.join(dir, f), '');
  const removed = (await removeTempFiles(dir)).map((p) => path.relative(dir, p)).sort();
  assert.equal(removed, [`a.bin.${dead}.0.fedmed.tmp`, path.join('sub', `b.json.${dead}.3.fedmed.tmp`)]);
  assert.equal(readdirSync(dir).sort(), [live, 'keep.bin', 'keep.tmp', someonesElse, 'sub'].sort());
});

test('probeOutputFolder creates a writable folder, refuses /proc and /sys and more space than there is', async () => {
  const dir = path.join(fresh(), 'a', 'b');
  await probeOutputFolder(dir, 1);
  assert.equal(readdirSync(dir), [], 'the probe file is removed');
  await rejects(() => probeOutputFolder('/proc/self/fedmed'), /under \/proc, a kernel file system/);
  await rejects(() => probeOutputFolder('/sys/fedmed'), /under \/sys/);
  await rejects(() => probeOutputFolder(fresh(), 2 ** 60), /free, and .* MB are needed for one checkpoint; free some space/);
});

test('fileError is one line naming the file and the cause in words', () => {
  const e = fileError('write', '/runs/x/generators.safetensors', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
  assert.is(e.message, '/runs/x/generators.safetensors: cannot write: no space left on the device (ENOSPC)');
  assert.instance(e, FileSystemError, 'the file system refused: fedmed exits 74');
  assert.not.instance(fileError('read', '/runs/x/a', Object.assign(new Error('ENOENT'), { code: 'ENOENT' })), FileSystemError, 'a wrong path is not');
});

test.run();
