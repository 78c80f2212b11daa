/**
 * `fedmed node`'s refusals, each one line on stderr with the exit code a
 * script can rely on, before any data is read or any SuperLink is called.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runToFiles } from '../helpers/spawn.js';
import { writeVolume } from '../cli/helpers.js';
import { tightestEpsilon } from '../../fed/dp/ledger.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-node-cli-'));

function node(...args: string[]) {
  return runToFiles(process.execPath, [cli, 'node', ...args], { timeout: 60_000 });
}

function oneLine(run: ReturnType<typeof node>, status: number, pattern: RegExp): void {
  assert.is(run.status, status, run.stderr);
  assert.is(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, pattern);
}

test("--help says where a node keeps its DP key: the --state folder (it said a run's checkpoints)", () => {
  const help = node('--help');
  assert.is(help.status, 0, help.stderr);
  assert.match(help.stdout.replace(/\s+/g, ' '), /--dp-randomness [^]*kept in the --state folder, or the seed/);
  assert.not.match(help.stdout, /kept in its checkpoints/);
});

test('usage mistakes exit 2 with one line', () => {
  oneLine(node('--superlink', '127.0.0.1:9092'), 2, /fedmed node needs --state DIR/);
  oneLine(node('--state', dir, '--superlink', 'localhost'), 2, /--superlink is HOST:PORT such as 127\.0\.0\.1:9092, got 'localhost'/);
  oneLine(node('--state', dir, '--part', '3/2'), 2, /--part is K\/N with 1 <= K <= N/);
  oneLine(node('--state', dir, '--max-epsilon', '4'), 2, /--max-epsilon applies to a private node: add --dp/);
  oneLine(node('--state', dir, '--max-epsilon', '4', '--dp', 'gs-wgan'), 2, /--max-epsilon needs --dp dp-sgd: GS-WGAN's epsilon is no guarantee/);
  oneLine(node('--state', dir, '--poll-interval', '0'), 2, /--poll-interval must be positive/);
  oneLine(node('--state', dir, '--dp', '--rounds', '3'), 2, /--rounds applies to a node only with --epsilon/);
  oneLine(node('--state', dir, '--dp', '--epsilon', '3'), 2, /--epsilon needs --rounds R on a node/);
  oneLine(node('--state', dir, '--epsilon', '3', '--rounds', '2'), 2, /--epsilon applies only with --dp dp-sgd/);
  oneLine(node('--state', dir, '--share-scores'), 2, /--share-scores applies to a private node \(--dp\)/);
  // Accepted without a word before (review D10): the node went on to the SuperLink.
  oneLine(node('--state', dir, '--scheme', 'extreme'), 2, /^fedmed: --scheme applies to a node only with --part K\/N/);
  oneLine(node('--state', dir, '--dp-randomness', 'seeded', '--superlink', '127.0.0.1:1', '--give-up-after', '0'), 2, /^fedmed: --dp-randomness applies only with --dp\n/);
});

test('--epsilon E --rounds R: the node sets the sigma that spends E over its planned rounds, and E is its budget', () => {
  const state = path.join(dir, 'epsilon-state');
  const run = node('--state', state, '--superlink', '127.0.0.1:1', '--give-up-after', '0', '--width', '2', '--size', '32', '--backend', 'js', '--subjects', '6', '--phantom-size', '32', '--dp', '--epsilon', '4', '--rounds', '3', '--local-epochs', '1');
  assert.is(run.status, 1, run.stderr); // no SuperLink on port 1
  const line = /privacy: dp-sgd, sigma ([\d.]+) \(the smallest that spends epsilon 4 per slice over 3 rounds of 1 local epochs\); budget: epsilon 4 per slice, rounds past it are refused/.exec(run.stdout);
  assert.ok(line, run.stdout);
  assert.match(run.stdout, /; held-out scores: withheld, evaluate messages are refused \(--share-scores sends them, outside the DP guarantee\)/);
  // 5 training subjects of 7 slices, half paired: 35 items, q = 4 / 35, 9 steps a round.
  const sigma = Number(line[1]);
  const spent = (noise: number) => tightestEpsilon([{ noise, q: 4 / 35, steps: 27 }], { delta: 1e-5 }).epsilon;
  assert.ok(spent(sigma) <= 4 && spent(sigma * 0.999) > 4, `sigma ${sigma} spends ${spent(sigma)}`);
});

test('a state folder that began a round with other settings is refused naming them (exit 2, a taken folder), before the SuperLink is called; one that began none takes the new settings', () => {
  const state = path.join(dir, 'state');
  // A first start whose data fails to load keeps nothing: the corrected start is not held to its settings.
  const typo = node('--state', state, '--data', path.join(dir, 'no-such-data'), '--superlink', '127.0.0.1:1', '--give-up-after', '0', '--width', '2', '--size', '32', '--backend', 'js');
  assert.is(typo.status, 1, typo.stderr);
  // This start makes the folder its own, then finds no SuperLink on a closed port and gives up at once.
  const first = node('--state', state, '--superlink', '127.0.0.1:1', '--give-up-after', '0', '--width', '2', '--size', '32', '--backend', 'js', '--subjects', '6', '--phantom-size', '32');
  oneLine(first, 1, /the SuperLink at 127\.0\.0\.1:1 cannot be reached \(RegisterNode: UNAVAILABLE.*\) after 1 attempt over/);
  // A round begun (as a killed round leaves it): from now on the folder is that node's.
  const file = path.join(state, 'state.json');
  const record = JSON.parse(readFileSync(file, 'utf8')) as { begun: unknown[] };
  record.begun.push({ round: 1, runId: '7', serverRound: 1, firstEpoch: 0, epochs: 1 });
  writeFileSync(file, JSON.stringify(record));
  const other = node('--state', state, '--superlink', '127.0.0.1:1', '--give-up-after', '0', '--width', '4', '--size', '32', '--backend', 'js', '--subjects', '6', '--phantom-size', '32');
  oneLine(other, 2, /belongs to a node with other settings \(width: 2 -> 4\)/);
  assert.not.match(other.stdout + other.stderr, /SuperLink/);
});

test('a state folder under /proc is refused before anything is created, and leftover temporary files are removed', () => {
  oneLine(node('--state', '/proc/fedmed-state', '--give-up-after', '0'), 1, /\/proc\/fedmed-state: is under \/proc, a kernel file system/);
  const state = path.join(dir, 'tmp-state');
  mkdirSync(state, { recursive: true });
  writeFileSync(path.join(state, 'state.json.123.0.fedmed.tmp'), 'torn');
  node('--state', state, '--superlink', '127.0.0.1:1', '--give-up-after', '0', '--width', '2', '--size', '32', '--backend', 'js', '--subjects', '6', '--phantom-size', '32');
  assert.not.ok(readdirSync(state).some((f) => f.endsWith('.tmp')), readdirSync(state).join(', '));
});

test('a --state folder that holds something else (a run) is refused, and left as it was', () => {
  const run = path.join(dir, 'a-run');
  mkdirSync(run);
  writeFileSync(path.join(run, 'config.json'), '{}');
  oneLine(node('--state', run, '--give-up-after', '0', '--width', '2', '--size', '32', '--backend', 'js', '--subjects', '6', '--phantom-size', '32'), 2, /a-run: holds config\.json, not a fedmed node state; give a new or empty folder/);
  assert.equal(readdirSync(run), ['config.json']);
});

test('a bad subject is refused naming its file; --skip-bad-subjects leaves it out, on stderr and in the state folder', async () => {
  const data = path.join(dir, 'data');
  const made = runToFiles(process.execPath, [cli, 'data', 'phantom', '--out', data, '--subjects', '4', '--size', '16'], { timeout: 60_000 });
  assert.is(made.status, 0, made.stderr);
  const file = path.join('T2', readdirSync(path.join(data, 'T2')).sort()[0]!);
  const values = new Float32Array(16 * 16 * 16).fill(0.5);
  values[8 * 16 * 16] = NaN;
  await writeVolume(path.join(data, file), [16, 16, 16], values);
  const flags = ['--superlink', '127.0.0.1:1', '--give-up-after', '0', '--data', data, '--width', '2', '--size', '32', '--test-fraction', '0.34', '--backend', 'js'];
  oneLine(node('--state', path.join(dir, 'refused'), ...flags), 1, new RegExp(`${file}: 1 voxel\\(s\\) are NaN or infinite.*--skip-bad-subjects`));
  const state = path.join(dir, 'skipping');
  const skipping = node('--state', state, ...flags, '--skip-bad-subjects');
  assert.match(skipping.stderr, new RegExp(`skipped IXI\\d+: .*${file}: 1 voxel`));
  assert.match(skipping.stderr, /the SuperLink at 127\.0\.0\.1:1 cannot be reached/, 'the node went on to join');
  const listed = JSON.parse(readFileSync(path.join(state, 'skipped.json'), 'utf8')) as string[];
  assert.is(listed.length, 1);
});

test("the held-out subjects are recorded at the first start; data that no longer gives that split is refused naming what moved", () => {
  const data = path.join(dir, 'split-data');
  const made = runToFiles(process.execPath, [cli, 'data', 'phantom', '--out', data, '--subjects', '6', '--size', '16'], { timeout: 60_000 });
  assert.is(made.status, 0, made.stderr);
  const state = path.join(dir, 'split-state');
  const flags = ['--state', state, '--superlink', '127.0.0.1:1', '--give-up-after', '0', '--data', data, '--width', '2', '--size', '32', '--test-fraction', '0.34', '--backend', 'js'];
  oneLine(node(...flags), 1, /cannot be reached/);
  const recorded = (JSON.parse(readFileSync(path.join(state, 'state.json'), 'utf8')) as { testSubjects: string[] }).testSubjects;
  assert.is(recorded.length, 2, JSON.stringify(recorded));
  oneLine(node(...flags), 1, /cannot be reached/); // the same data: the same split, and it goes on to join
  // A held-out subject gone from the folder: the split drawn now differs from the one recorded.
  for (const contrast of ['T2', 'PD']) rmSync(path.join(data, contrast, readdirSync(path.join(data, contrast)).find((f) => f.startsWith(`${recorded[0]}-`))!));
  const refused = node(...flags);
  oneLine(refused, 1, new RegExp(`split-data: no longer gives this node's split \\(${recorded[0]} is held out by the run but not now.*\\); start it with the data it started with`));
  assert.not.match(refused.stdout, /SuperLink/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
