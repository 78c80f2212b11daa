import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSystemError, makeFolder, tempName, tempWriter, whenNoWriteInFlight, writeFileAtomic, writeRunFiles } from '../../store/atomic.js';
import { diskFullAfter } from '../helpers/full-disk.js';
import { rejects } from '../helpers/rejects.js';
import { scratchDir } from '../cli/helpers.js';

test('writeFileAtomic creates folders, writes, overwrites, leaves no temp file', async () => {
  const dir = scratchDir('atomic');
  const file = path.join(dir, 'a', 'b', 'metrics.csv');
  await writeFileAtomic(file, 'one\n');
  await writeFileAtomic(file, 'two\n');
  assert.is(readFileSync(file, 'utf8'), 'two\n');
  assert.equal(readdirSync(path.dirname(file)), ['metrics.csv']);
  await writeFileAtomic(path.join(dir, 'x.png'), Uint8Array.of(137, 80, 78, 71));
  assert.equal([...readFileSync(path.join(dir, 'x.png'))], [137, 80, 78, 71]);
});

test('tempWriter reads back the pid tempName puts in a temporary name, and nothing from any other name', () => {
  assert.is(tempWriter(path.basename(tempName('/runs/x/config.json'))), process.pid);
  assert.is(tempWriter('config.json.4242.7.fedmed.tmp'), 4242);
  for (const name of ['config.json', 'notes.4242.1.tmp', 'config.json.fedmed.tmp', 'a.x.7.fedmed.tmp']) assert.is(tempWriter(name), null, name);
});

/**
 * Whether the system calls of a child's writeFileAtomic include an fsync of
 * the target's folder after the rename (POSIX makes a rename durable only
 * so), as strace sees them; null where there is no strace (CI installs it).
 */
function folderSyncedAfterRename(dir: string): boolean | null {
  if (spawnSync('strace', ['-V']).status !== 0) {
    if (process.env.CI) throw new Error('CI: strace is needed for the folder-sync test (.ci/run installs it)');
    return null;
  }
  const atomic = fileURLToPath(new URL('../../store/atomic.js', import.meta.url));
  const script = `import(${JSON.stringify(atomic)}).then((m) => m.writeFileAtomic(${JSON.stringify(path.join(dir, 'x.json'))}, '{}'))`;
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,rename,renameat,renameat2,fsync', process.execPath, '-e', script], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const calls = r.stderr.split('\n');
  const renamed = calls.findIndex((c) => /rename(at2?)?\(.*x\.json\.\d+\.\d+\.fedmed\.tmp".*= 0$/.test(c));
  const after = calls.slice(renamed + 1);
  const opened = after.find((c) => c.includes(`openat(AT_FDCWD, "${dir}", O_RDONLY`))?.match(/= (\d+)$/)?.[1];
  return renamed >= 0 && opened !== undefined && after.some((c) => c.includes(`fsync(${opened})`));
}

test("writeFileAtomic flushes the folder after its rename, so the new name survives a power loss", () => {
  const synced = folderSyncedAfterRename(scratchDir('atomic'));
  if (synced === null) console.log('folder-sync test skipped: no strace');
  else assert.ok(synced, 'an fsync of the folder after the rename');
});

test('whenNoWriteInFlight waits for the writes under way, and runs before their callers resume', async () => {
  const dir = scratchDir('atomic');
  const files = ['a.bin', 'b.bin'].map((f) => path.join(dir, f));
  const data = new Uint8Array(1 << 20).fill(7);
  const events: string[] = [];
  const writes = files.map((f) => writeFileAtomic(f, data).then(() => events.push(`${path.basename(f)} resumed`)));
  whenNoWriteInFlight(() => events.push(`idle: ${files.filter((f) => readdirSync(dir).includes(path.basename(f))).length} whole files, ${readdirSync(dir).filter((f) => f.endsWith('.tmp')).length} temp`));
  assert.equal(events, [], 'not called while writes are under way');
  await Promise.all(writes);
  // The first write to finish resumes its caller, then the last one finishes: idle, before its caller resumes.
  assert.equal(events.map((e) => e.replace(/^[ab]\.bin/, 'write')), ['write resumed', 'idle: 2 whole files, 0 temp', 'write resumed']);
  let now = false;
  whenNoWriteInFlight(() => (now = true));
  assert.ok(now, 'called at once when nothing is being written');
});

test('a failed write keeps nothing half-written and removes its temp file', async () => {
  const dir = scratchDir('atomic');
  const target = path.join(dir, 'report.html');
  mkdirSync(target); // renaming a file over a folder fails
  writeFileSync(path.join(target, 'keep'), 'old');
  let failed = false;
  try {
    await writeFileAtomic(target, 'new');
  } catch {
    failed = true;
  }
  assert.ok(failed, 'write over a folder throws');
  assert.equal(readdirSync(dir), ['report.html']);
  assert.is(readFileSync(path.join(target, 'keep'), 'utf8'), 'old');
});

test('writeRunFiles writes nested names and refuses paths outside the folder', async () => {
  const dir = scratchDir('atomic');
  await writeRunFiles(dir, { 'report.html': '<!doctype html>', 'grids/epoch-001.png': Uint8Array.of(1, 2) });
  assert.equal(readdirSync(dir).sort(), ['grids', 'report.html']);
  assert.equal([...readFileSync(path.join(dir, 'grids', 'epoch-001.png'))], [1, 2]);
  for (const bad of ['../escape.txt', '/etc/passwd', 'grids/../../x']) {
    let message = '';
    await writeRunFiles(dir, { [bad]: 'x' }).catch((e: Error) => (message = e.message));
    assert.match(message, /is not a path inside the run folder/, bad);
  }
});

test('every writer refuses /proc and /sys at once, by name or through a link (recursive mkdir spins there)', async () => {
  const dir = scratchDir('atomic');
  symlinkSync('/proc/self', path.join(dir, 'link'));
  for (const file of ['/proc/y/x.nii.gz', '/proc/self/fedmed/x', '/sys/y/x.svg', path.join(dir, 'link', 'y', 'x')]) {
    await rejects(() => writeFileAtomic(file, 'x'), /: is under \/(proc|sys), a kernel file system; choose a folder on a disk$/);
  }
  await rejects(() => makeFolder('/proc/y'), /^\/proc\/y: is under \/proc/);
});

test('makeFolder names the real cause where a parent is a file', async () => {
  const dir = scratchDir('atomic');
  writeFileSync(path.join(dir, 'file'), '');
  await rejects(() => makeFolder(path.join(dir, 'file', 'a', 'b')), /file\/a\/b: cannot create the folder: a part of the path is not a folder \(ENOTDIR\)/);
  await makeFolder(path.join(dir, 'c', 'd'));
  await makeFolder(path.join(dir, 'c', 'd'));
  assert.equal(readdirSync(path.join(dir, 'c')), ['d']);
});

test('a full disk: one FileSystemError naming the file, the old file kept whole, no temp file left', async () => {
  const dir = scratchDir('atomic');
  const file = path.join(dir, 'generators.safetensors');
  writeFileSync(file, 'old weights');
  diskFullAfter(100);
  try {
    const error = await writeFileAtomic(file, new Uint8Array(1000)).then(() => null, (e: unknown) => e);
    assert.instance(error, FileSystemError);
    assert.is((error as Error).message, `${file}: cannot write: no space left on the device (ENOSPC)`);
  } finally {
    diskFullAfter(null);
  }
  assert.is(readFileSync(file, 'utf8'), 'old weights');
  assert.equal(readdirSync(dir), ['generators.safetensors']);
});

test.run();
