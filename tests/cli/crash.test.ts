/**
 * Crash safety of `fedmed train` through the built CLI (issue 16), at toy
 * size on js: killed with SIGKILL at random moments, or inside a
 * checkpoint's write, and resumed until done, a run's `checkpoints/latest`
 * is whole after every kill (its manifest verifies) and the finished run's
 * generators equal an uninterrupted run's bit for bit; SIGTERM exits 143
 * once the file being written is complete, and a disk filling up exits 74
 * naming the file, each leaving the run resumable to the same result;
 * `fedmed experiment` stops on SIGTERM the same way.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { latestCheckpoint, readSafetensors } from '../../cli/train/checkpoint.js';
import { verifyFolder } from '../../store/manifest.js';
import { fedmed, scratchDir, shellOnTmpfs } from './helpers.js';

const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const train = ['train', '--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--backend', 'js', '--epochs', '3'];
const scratch = scratchDir('crash');
const whole = join(scratch, 'whole');
let wholeSeconds = 0;

async function finalGenerators(run: string): Promise<Map<string, number[]>> {
  const { tensors } = await readSafetensors(join(run, 'checkpoints', 'round-0003', 'generators.safetensors'));
  return new Map([...tensors].map(([k, v]) => [k, [...v.values]]));
}

async function assertSameAsWhole(run: string): Promise<void> {
  const [a, b] = [await finalGenerators(whole), await finalGenerators(run)];
  assert.equal([...b.keys()], [...a.keys()]);
  for (const [name, values] of a) assert.equal(b.get(name), values, `${name}: differs from the uninterrupted run`);
}

/** Continues `run` (or starts it afresh when no checkpoint was reached) in a child; `kill` sends a signal after `ms`. */
function start(run: string): { exited: Promise<{ code: number | null; signal: string | null; err: string }>; kill(signal: NodeJS.Signals, ms: number): void } {
  const args = existsSync(join(run, 'checkpoints', 'latest')) ? ['train', '--resume', run] : [...train, '--out', run, '--force'];
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null; err: string }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, err })));
  return { exited, kill: (signal, ms) => setTimeout(() => child.kill(signal), ms) };
}

/** Whether `latest`, where there is one, names a checkpoint that verifies against its manifest. */
async function assertLatestWhole(run: string, when: string): Promise<void> {
  const latest = await latestCheckpoint(run);
  if (latest) await verifyFolder(latest).catch((e: Error) => assert.unreachable(`${when}: ${e.message}`));
}

test.before(() => {
  const started = performance.now();
  const r = fedmed(...train, '--out', whole);
  wholeSeconds = (performance.now() - started) / 1000;
  assert.is(r.code, 0, r.err);
});

test('SIGKILL at random moments: latest is always whole, and resuming ends bit-identical to an uninterrupted run', async () => {
  const run = join(scratch, 'killed');
  const moments: number[] = [];
  for (let kill = 0; kill < 3; kill++) {
    const ms = Math.round(Math.random() * wholeSeconds * 1000);
    moments.push(ms);
    const child = start(run);
    child.kill('SIGKILL', ms);
    const { code, err } = await child.exited;
    if (code === 0) break; // finished before the kill
    await assertLatestWhole(run, `after SIGKILL at ${moments.join(', ')} ms: ${err.trim().split('\n').pop()}`);
  }
  const last = await start(run).exited;
  assert.is(last.code, 0, `killed at ${moments.join(', ')} ms, then: ${last.err.trim().split('\n').pop()}`);
  await assertSameAsWhole(run);
});

test('SIGKILL inside a checkpoint write (a temporary file of round 2 just made): latest still verifies, and resuming ends bit-identical', async () => {
  const run = join(scratch, 'killed-in-write');
  const child = start(run);
  const checkpoints = join(run, 'checkpoints');
  let watcher: FSWatcher | null = null;
  let killedAt = '';
  const waiting = setInterval(() => {
    if (watcher || !existsSync(join(checkpoints, 'round-0001'))) return;
    watcher = watch(checkpoints, { recursive: true }, (_event, name) => {
      if (!killedAt && name?.startsWith('round-0002') && name.endsWith('.tmp')) {
        killedAt = name;
        child.kill('SIGKILL', 0);
      }
    });
  }, 2);
  const { code } = await child.exited;
  clearInterval(waiting);
  (watcher as FSWatcher | null)?.close();
  assert.ok(killedAt, `the kill came while round 2 was written (exit ${code})`);
  await assertLatestWhole(run, `after SIGKILL at ${killedAt}`);
  const resumed = await start(run).exited;
  assert.is(resumed.code, 0, resumed.err);
  await assertSameAsWhole(run);
});

test('SIGTERM exits 143 once the file being written is whole, and the run resumes to the same result', async () => {
  const run = join(scratch, 'terminated');
  const child = start(run);
  const checkpoint = join(run, 'checkpoints', 'latest');
  const waited = setInterval(() => existsSync(checkpoint) && (child.kill('SIGTERM', 0), clearInterval(waited)), 5);
  const { code, signal, err } = await child.exited;
  clearInterval(waited);
  assert.equal({ code, signal }, { code: 143, signal: null }, err);
  assert.match(err, /SIGTERM: stopping once the file being written is complete/);
  await assertLatestWhole(run, 'after SIGTERM');
  assert.equal(readdirSync(run, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  const resumed = await start(run).exited;
  assert.is(resumed.code, 0, resumed.err);
  await assertSameAsWhole(run);
});

test('fedmed experiment: SIGTERM exits 143 once the file being written is whole, leaving the cell resumable', async () => {
  const out = join(scratch, 'experiment');
  const child = spawn(process.execPath, [cli, 'experiment', 'rounds', '--scale', 'tiny', '--backend', 'js', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  const checkpoint = join(out, 'centralized', 'checkpoints', 'latest');
  const waited = setInterval(() => existsSync(checkpoint) && (child.kill('SIGTERM'), clearInterval(waited)), 5);
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('close', (c, s) => resolve({ code: c, signal: s })));
  clearInterval(waited);
  assert.equal({ code, signal }, { code: 143, signal: null }, err);
  assert.match(err, /SIGTERM: stopping once the file being written is complete/);
  await assertLatestWhole(join(out, 'centralized'), 'after SIGTERM');
  assert.equal(readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
});

test('a disk filling up mid-run stops it with exit 74 naming the file, and once space is freed --resume ends as an uninterrupted run', async () => {
  const mount = join(scratch, 'small-disk');
  const copy = join(scratch, 'after-disk-full');
  mkdirSync(mount);
  // On a 4 MiB tmpfs of its own: start, fill the disk once the first checkpoint is whole, free it, resume.
  const script = `
    "$NODE" "$FEDMED" "$@" --out "$MNT/run" >/dev/null 2>"$MNT/../first.err" &
    pid=$!
    while [ ! -e "$MNT/run/checkpoints/latest" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
    head -c 8M /dev/zero > "$MNT/filler" 2>/dev/null
    wait $pid; echo "first: $?"
    rm "$MNT/filler"
    "$NODE" "$FEDMED" train --resume "$MNT/run" >/dev/null 2>&1; echo "resumed: $?"
    cp -r "$MNT/run" "${copy}"`;
  const r = shellOnTmpfs('size=4m', mount, script, train);
  if (!r) return console.log('  (skipped: no user namespace to mount a tmpfs in)');
  const firstErr = readFileSync(join(scratch, 'first.err'), 'utf8');
  assert.match(r.out, /first: 74\n/, firstErr);
  assert.match(firstErr.trim().split('\n').at(-1)!, /^fedmed: .*small-disk\/run\/\S+: cannot write: no space left on the device \(ENOSPC\)$/);
  assert.match(r.out, /resumed: 0\n/, r.err);
  await assertSameAsWhole(copy);
});

test.run();
