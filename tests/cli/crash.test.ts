/**
 * Crash safety of `fedmed train` through the built CLI (issue 16), at toy
 * size on js: killed with SIGKILL at random moments and resumed until done,
 * a run's `checkpoints/latest` is whole after every kill (its manifest
 * verifies) and the finished run's generators equal an uninterrupted run's
 * bit for bit; SIGTERM exits 143 once the file being written is complete,
 * leaving the run resumable to the same result.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { latestCheckpoint, readSafetensors } from '../../cli/train/checkpoint.js';
import { verifyFolder } from '../../store/manifest.js';
import { fedmed, scratchDir } from './helpers.js';

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

test.run();
