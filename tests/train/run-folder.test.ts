/**
 * The run folder's rules through the built `fedmed train` (issue 16): an
 * existing run is never overwritten, a folder fedmed cannot prove a run of
 * its own is never written into or cleared (CLI review 1), --resume and
 * eval verify the checkpoint (file hashes and the run's settings), refusals
 * come before any work, and flags outside their mode are errors. Each case failed before the fix.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { markerFile } from '../../store/folder.js';
import { lockFolder } from '../../store/lock.js';
import { setBackend } from '../../engine/index.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { checkpointBytes, runFolder } from '../../cli/train/run-folder.js';
import { fedmed, fedmedOnTmpfs, fedmedPath, fedmedWithFullDisk, scratchDir, tmpfsMountable, unprivilegedFedmed } from '../cli/helpers.js';

const tiny = ['--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--backend', 'js'];
const scratch = scratchDir('run-folder');
const finished = path.join(scratch, 'finished');
let copies = 0;

/** A copy of the finished run to spoil. */
function copyOfRun(): string {
  const dir = path.join(scratch, `copy-${copies++}`);
  cpSync(finished, dir, { recursive: true });
  return dir;
}

/** Every file under `dir` with its size. */
function sizes(dir: string): Map<string, number> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
  return new Map(files.map((f) => [f, statSync(path.join(dir, f)).size]));
}

/** Every file under `dir` with its text. */
function contents(dir: string): [string, string][] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
  return files.sort().map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]);
}

function oneLine(err: string): string {
  const lines = err.trim().split('\n');
  assert.is(lines.length, 1, `expected one line on stderr, got:\n${err}`);
  return lines[0]!;
}

test.before(() => {
  const r = fedmed('train', ...tiny, '--epochs', '1', '--out', finished);
  assert.is(r.code, 0, r.err);
});

test('--out naming a finished run is refused, and the run is left as it was', () => {
  const before = readFileSync(path.join(finished, 'checkpoints', 'round-0001', 'generators.safetensors'));
  const r = fedmed('train', ...tiny, '--epochs', '1', '--out', finished);
  assert.is(r.code, 2);
  assert.match(oneLine(r.err), /already holds a run; continue it with --resume .*, or replace it with --force/);
  assert.equal(readFileSync(path.join(finished, 'checkpoints', 'round-0001', 'generators.safetensors')), before);
});

test('--force replaces the old run: none of its files stay beside the new one', () => {
  const dir = copyOfRun();
  writeFileSync(path.join(dir, 'privacy.json'), '{"old run": true}');
  writeFileSync(path.join(dir, 'skipped.json'), '["IXI001: old run"]');
  writeFileSync(path.join(dir, 'grids', 'epoch-007-PD-to-T2.png'), 'old');
  writeFileSync(path.join(dir, 'latent.svg'), '<svg>old run</svg>'); // fedmed latent's default output
  writeFileSync(path.join(dir, 'latent-round-12.svg'), '<svg>old run</svg>'); // an experiment cell's figure
  const r = fedmed('train', ...tiny, '--epochs', '1', '--out', dir, '--force');
  assert.is(r.code, 0, r.err);
  assert.not.ok(existsSync(path.join(dir, 'latent.svg')), 'the old run\'s latent figure does not stay');
  assert.not.ok(existsSync(path.join(dir, 'latent-round-12.svg')));
  assert.not.ok(existsSync(path.join(dir, 'privacy.json')));
  assert.not.ok(existsSync(path.join(dir, 'skipped.json')), 'the old run\'s skipped subjects do not stay');
  assert.not.ok(readdirSync(path.join(dir, 'grids')).includes('epoch-007-PD-to-T2.png'));
});

test('a mistyped --data is refused before the run folder is made: no folder is left behind', () => {
  const dir = path.join(scratch, 'never-made');
  const notFolder = path.join(scratch, 'data-file');
  writeFileSync(notFolder, 'no dataset');
  for (const [data, problem] of [[path.join(scratch, 'nowhere'), 'no such folder'], [notFolder, 'is not a folder']] as const) {
    const r = fedmed('train', '--data', data, '--size', '32', '--width', '2', '--epochs', '1', '--backend', 'js', '--out', dir);
    assert.is(r.code, 1);
    assert.ok(oneLine(r.err).startsWith(`fedmed: ${data}: ${problem}`), r.err);
    assert.not.ok(existsSync(dir), 'no run folder for a run that never started');
  }
});

test('a folder fedmed cannot prove a run of its own is refused, --force or not, naming what it holds; nothing in it changes', () => {
  const foreign = path.join(scratch, 'foreign');
  mkdirSync(path.join(foreign, 'checkpoints'), { recursive: true });
  writeFileSync(path.join(foreign, 'config.json'), '{"lr":3}');
  writeFileSync(path.join(foreign, 'checkpoints', 'resnet50_best.pt'), 'w');
  const mine = path.join(scratch, 'mine');
  mkdirSync(mine);
  for (const f of ['report.html', 'metrics.csv', 'thesis.txt']) writeFileSync(path.join(mine, f), `my ${f}`);
  for (const [dir, holds] of [[foreign, 'checkpoints, config.json'], [mine, 'metrics.csv, report.html, thesis.txt']] as const) {
    const before = contents(dir);
    for (const force of [[], ['--force']]) {
      const r = fedmed('train', ...tiny, '--epochs', '1', '--out', dir, ...force);
      assert.is(r.code, 2, r.err);
      assert.is(oneLine(r.err), `fedmed: ${dir}: holds ${holds}, not a fedmed training run; give a new or empty folder (fedmed never writes over files it cannot prove its own, --force or not)`);
    }
    assert.equal(contents(dir), before);
  }
});

test('a run an earlier fedmed wrote (no fedmed.json) is still a run: refused, replaced by --force, resumed by --resume', () => {
  const earlier = () => {
    const dir = copyOfRun();
    rmSync(path.join(dir, markerFile));
    return dir;
  };
  const refused = fedmed('train', ...tiny, '--epochs', '1', '--out', earlier());
  assert.is(refused.code, 2);
  assert.match(oneLine(refused.err), /already holds a run; continue it with --resume/);
  const replaced = earlier();
  writeFileSync(path.join(replaced, 'privacy.json'), '{"old run": true}');
  const forced = fedmed('train', ...tiny, '--epochs', '1', '--out', replaced, '--force');
  assert.is(forced.code, 0, forced.err);
  assert.not.ok(existsSync(path.join(replaced, 'privacy.json')));
  assert.ok(existsSync(path.join(replaced, markerFile)), 'marked as it is claimed');
  const resumed = earlier();
  const r = fedmed('train', '--resume', resumed);
  assert.is(r.code, 0, r.err);
});

test('--resume refuses an edited config.json, naming the changed keys', () => {
  const dir = copyOfRun();
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...config, target: 'T1', seed: 4 }));
  const r = fedmed('train', '--resume', dir);
  assert.is(r.code, 1);
  assert.match(oneLine(r.err), /config\.json: differs from the run's checkpoint in seed, target/);
});

test('--resume checks config.json before using it: its shape, backend and test subjects, naming the file; a run with no checkpoint yet is told to start over', () => {
  const cases: [string, RegExp][] = [
    ['{"backend": "cuda"', /config\.json: not valid JSON \(/],
    ['null', /config\.json: not a run's config \(a JSON object of its settings\)$/],
    ['[]', /config\.json: not a run's config/],
    ['BACKEND', /config\.json: backend "cuda" is not one of auto, webgpu, wasm, js$/],
    ['SUBJECTS', /config\.json: testSubjects is not a list of subject names$/],
    ['{"backend": "js"}', /config\.json: differs from the run's checkpoint in batch, .*; a resumed run keeps the settings it was started with$/],
  ];
  for (const [text, pattern] of cases) {
    const dir = copyOfRun();
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, text === 'BACKEND' ? JSON.stringify({ ...config, backend: 'cuda' }) : text === 'SUBJECTS' ? JSON.stringify({ ...config, testSubjects: 'IXI002' }) : text);
    const r = fedmed('train', '--resume', dir);
    assert.is(r.code, 1, text);
    assert.match(oneLine(r.err), pattern);
    assert.ok(r.err.includes(file), r.err);
  }
  const stopped = path.join(scratch, 'stopped-in-round-1');
  mkdirSync(stopped);
  writeFileSync(path.join(stopped, markerFile), '{"fedmed": "training run"}\n');
  const r = fedmed('train', '--resume', stopped);
  assert.is(r.code, 2);
  assert.is(oneLine(r.err), `fedmed: --resume ${stopped}: the run has no checkpoint yet (it stopped before its first one); start it over: the fedmed train command that started it, with --out ${stopped} --force`);
  const again = fedmed('train', ...tiny, '--epochs', '1', '--out', stopped, '--force');
  assert.is(again.code, 0, again.err);
  // A folder of another kind is named as such, not told to start over as a run.
  const nodeState = path.join(scratch, 'a-node-state');
  mkdirSync(nodeState);
  writeFileSync(path.join(nodeState, markerFile), '{"fedmed": "node state"}\n');
  const other = fedmed('train', '--resume', nodeState);
  assert.is(other.code, 2);
  assert.is(oneLine(other.err), `fedmed: ${nodeState}: holds a fedmed node state, not a fedmed training run; give another folder`);
});

test('--resume, eval and translate refuse a checkpoint file with flipped bytes, naming it', () => {
  const dir = copyOfRun();
  const file = path.join(dir, 'checkpoints', 'round-0001', 'generators.safetensors');
  const bytes = readFileSync(file);
  for (let i = 0; i < 100; i++) bytes[bytes.length - 200 + i] ^= 0xff; // inside the tensor data, header intact
  writeFileSync(file, bytes);
  const mismatch = /generators\.safetensors: its contents differ from manifest\.json \(SHA-256 mismatch\)/;
  for (const args of [['train', '--resume', dir], ['eval', '--checkpoint', dir], ['eval', '--checkpoint', file]]) {
    const r = fedmed(...args);
    assert.is(r.code, 1, args.join(' '));
    assert.match(oneLine(r.err), mismatch);
  }
});

test('a damaged latest checkpoint is refused before any data is loaded; an intact earlier one (--keep-rounds) is named with how to resume from it, which then works', () => {
  const dir = path.join(scratch, 'kept');
  const run = fedmed('train', ...tiny, '--epochs', '2', '--keep-rounds', '1', '--out', dir);
  assert.is(run.code, 0, run.err);
  const file = path.join(dir, 'checkpoints', 'round-0002', 'central.safetensors');
  const bytes = readFileSync(file);
  bytes[bytes.length - 100] ^= 0xff;
  writeFileSync(file, bytes);
  const latest = path.join(dir, 'checkpoints', 'latest');
  const r = fedmed('train', '--resume', dir);
  assert.is(r.code, 1);
  assert.is(oneLine(r.err), `fedmed: ${file}: its contents differ from manifest.json (SHA-256 mismatch); the file was changed or damaged; ${path.join(dir, 'checkpoints', 'round-0001')} is intact: to resume from it, redoing the rounds after round 1, write round-0001 into ${latest} and run fedmed train --resume ${dir} again`);
  assert.not.match(r.out, /run folder:/, 'refused before the run starts');
  writeFileSync(latest, 'round-0001\n');
  const resumed = fedmed('train', '--resume', dir);
  assert.is(resumed.code, 0, resumed.err);
  assert.match(resumed.err + resumed.out, /resuming after epoch 1/);
  assert.is(readFileSync(latest, 'utf8').trim(), 'round-0002');
});

test('checkpoints/latest naming a folder outside the run is refused', () => {
  const dir = copyOfRun();
  writeFileSync(path.join(dir, 'checkpoints', 'latest'), `../../${path.basename(finished)}/checkpoints/round-0001\n`);
  const r = fedmed('train', '--resume', dir);
  assert.is(r.code, 1);
  assert.match(oneLine(r.err), /latest: names .* which is not inside/);
});

test('--resume removes the temporary files an interrupted write left, and continues; --verbose (display only) is welcome, a setting is not', () => {
  const dir = copyOfRun();
  const stray = path.join(dir, 'checkpoints', 'round-0001', 'central.safetensors.4242.3.fedmed.tmp');
  writeFileSync(stray, 'torn');
  const setting = fedmed('train', '--resume', dir, '--lr', '0.1');
  assert.is(setting.code, 2);
  assert.is(oneLine(setting.err), "fedmed: --resume continues with the run's own config.json; drop --lr");
  const r = fedmed('train', '--resume', dir, '--verbose');
  assert.is(r.code, 0, r.err);
  assert.not.ok(existsSync(stray));
  assert.match(r.err, /removed .*central\.safetensors\.4242\.3\.fedmed\.tmp, left by an interrupted write/);
});

test('a run folder in use: a second train on it (new, --force, --resume) is refused in one line naming the folder and the holder, and changes nothing', async () => {
  const dir = path.join(scratch, 'in-use');
  const first = spawn(process.execPath, [fedmedPath, 'train', ...tiny, '--epochs', '200', '--out', dir], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => first.once('exit', resolve));
  const until = async (file: string) => {
    while (!existsSync(path.join(dir, file))) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  try {
    const lock = path.join(dir, '.lock');
    const inUse = `fedmed: ${dir}: in use by pid ${first.pid}`;
    await until(markerFile);
    const early = fedmed('train', '--resume', dir); // in its first round, or just after: in use either way, not "no checkpoint yet"
    assert.ok(oneLine(early.err).startsWith(inUse), early.err);
    await until(path.join('checkpoints', 'latest'));
    for (const args of [[...tiny, '--seed', '4', '--epochs', '1', '--out', dir], [...tiny, '--seed', '4', '--epochs', '1', '--out', dir, '--force'], ['--resume', dir]]) {
      const r = fedmed('train', ...args);
      assert.is.not(r.code, 0, args.join(' '));
      assert.ok(oneLine(r.err).startsWith(inUse), r.err);
      assert.ok(r.err.includes(lock), r.err);
    }
    assert.is(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).seed, 3, "the first run's config stays");
    assert.ok(existsSync(path.join(dir, 'checkpoints', 'latest')), "the first run's checkpoint stays");
  } finally {
    first.kill('SIGINT');
  }
  assert.is(await exited, 130, 'the first run went on until it was stopped');
  assert.not.ok(existsSync(path.join(dir, '.lock')), 'the lock goes with its holder');
});

test('--resume on a folder in use is refused before it reads the folder: the checkpoint its run is replacing is never read', async () => {
  // A run going on removes its last checkpoint once the next is written: here the one latest names is gone, as a reader between the two would find it.
  const dir = copyOfRun();
  rmSync(path.join(dir, 'checkpoints', 'round-0001'), { recursive: true });
  const release = await lockFolder(dir, runFolder.kind); // this process is the run going on
  try {
    const r = fedmed('train', '--resume', dir);
    assert.is(r.code, 2);
    assert.ok(oneLine(r.err).startsWith(`fedmed: ${dir}: in use by pid ${process.pid}`), r.err);
  } finally {
    release();
  }
});

test('a checkpoint write that fails leaves no round folder behind, and --resume clears one a kill left half written, then continues', () => {
  // The disk fills inside the second epoch's client file: after all of epoch 1, epoch 2's run files and its generators, and half the client file.
  const written = sizes(finished);
  const total = (files: string[]) => files.reduce((n, f) => n + written.get(f)!, 0);
  const runFiles = [...written.keys()].filter((f) => !f.startsWith('checkpoints'));
  const round = path.join('checkpoints', 'round-0001');
  const budget = total([...written.keys()]) + total(runFiles) + written.get(path.join(round, 'generators.safetensors'))! + written.get(path.join(round, 'central.safetensors'))! / 2;
  const dir = path.join(scratch, 'disk-full');
  const full = fedmedWithFullDisk(budget, 'train', ...tiny, '--epochs', '2', '--out', dir);
  assert.is(full.code, 74, full.err);
  assert.match(full.err.trim().split('\n').at(-1)!, /^fedmed: .*round-0002\/central\.safetensors: cannot write: no space left on the device \(ENOSPC\)/);
  assert.is(readFileSync(path.join(dir, 'checkpoints', 'latest'), 'utf8').trim(), 'round-0001');
  assert.equal(readdirSync(path.join(dir, 'checkpoints')).sort(), ['latest', 'round-0001'], 'the half-written round-0002 is removed');
  assert.is(JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8')).epochs.length, 1, 'the run files show no round the checkpoint does not hold');
  assert.not.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /epoch-002/);

  const debris = path.join(dir, 'checkpoints', 'round-0002');
  mkdirSync(debris);
  writeFileSync(path.join(debris, 'generators.safetensors'), 'half of a file a kill cut short');
  const resumed = fedmed('train', '--resume', dir);
  assert.is(resumed.code, 0, resumed.err);
  assert.ok(resumed.err.includes(`removed ${debris}, a checkpoint an interrupted write left incomplete`), resumed.err);
  assert.is(readFileSync(path.join(dir, 'checkpoints', 'latest'), 'utf8').trim(), 'round-0002');
  assert.ok(existsSync(path.join(debris, 'manifest.json')), 'round 2 is redone whole');
});

test('--resume rewrites the run files from the checkpoint first: a kill between a checkpoint and its run files is repaired, even with no round left', () => {
  const dir = copyOfRun();
  rmSync(path.join(dir, 'metrics.json'));
  writeFileSync(path.join(dir, 'report.html'), 'cut short');
  const r = fedmed('train', '--resume', dir);
  assert.is(r.code, 0, r.err);
  assert.equal(readFileSync(path.join(dir, 'metrics.json'), 'utf8'), readFileSync(path.join(finished, 'metrics.json'), 'utf8'));
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /epoch-001-PD-to-T2\.png/);
});

test('--out under /proc or /sys is refused at once, before anything is created', () => {
  for (const out of ['/proc/fedmed-run', '/sys/fedmed-run']) {
    const r = fedmed('train', ...tiny, '--out', out);
    assert.is(r.code, 1);
    assert.match(oneLine(r.err), /is under \/(proc|sys), a kernel file system/);
  }
});

test('an --out that is a file is found before training, with the cause', () => {
  const file = path.join(scratch, 'a-file');
  writeFileSync(file, 'x');
  const r = fedmed('train', ...tiny, '--out', path.join(file, 'run'));
  assert.is(r.code, 1);
  assert.match(oneLine(r.err), /a-file\/run: cannot create the folder: a part of the path is not a folder \(ENOTDIR\)/);
  assert.not.match(r.out, /epoch 1/);
});

(tmpfsMountable ? test : test.skip)('a read-only or full --out exits 74 before training, naming the path and the cause; room for one checkpoint is not enough, a round holds two', async () => {
  await setBackend('js');
  const oneCheckpoint = checkpointBytes(await trainConfigFromArgs([...tiny, '--epochs', '2']));
  const roomForOne = `size=${Math.ceil((1.5 * oneCheckpoint) / 1024)}k`;
  const cases: [string, RegExp][] = [
    ['ro,size=64k', /mnt\/run: cannot create the folder: read-only file system \(EROFS\)/],
    ['size=64k', /mnt\/run: 0\.\d MB free, and .* MB are needed for 2 checkpoints side by side .*\(ENOSPC\)/],
    [roomForOne, /mnt\/run: \d+\.\d MB free, and .* MB are needed for 2 checkpoints side by side .*\(ENOSPC\)/],
  ];
  for (const [options, pattern] of cases) {
    const mount = path.join(scratch, 'mnt');
    mkdirSync(mount, { recursive: true });
    const r = fedmedOnTmpfs(options, mount, 'train', ...tiny, '--epochs', '2', '--out', path.join(mount, 'run'))!;
    assert.is(r.code, 74, r.err);
    assert.match(oneLine(r.err), pattern);
    assert.not.match(r.out, /epoch 1/);
  }
});

(unprivilegedFedmed ? test : test.skip)('an --out the user may not write into exits 74 with EACCES (as root, run as nobody)', () => {
  const open = scratchDir('eacces');
  chmodSync(open, 0o755); // the user may look in, not write
  const locked = path.join(open, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  const r = unprivilegedFedmed!('train', ...tiny, '--out', path.join(locked, 'run'));
  assert.is(r.code, 74, r.err);
  assert.match(oneLine(r.err), /locked\/run: cannot create the folder: permission denied \(EACCES\)/);
});

test('flags that do not apply to the mode are errors, and so is DP without noise', () => {
  const cases: [string[], RegExp][] = [
    [['--rounds', '2'], /--rounds applies only with --clients/],
    [['--clients', '2', '--epochs', '2'], /--epochs applies only with centralized training/],
    [['--noise', '2'], /--noise applies only with --dp/],
    [['--dp', 'dp-sgd', '--sensitivity', '3'], /--sensitivity applies only with --dp gs-wgan/],
    // Each was accepted without a word (review D10).
    [['--dp-randomness', 'seeded'], /^fedmed: --dp-randomness applies only with --dp$/],
    [['--clients', '2', '--weights', '0.5,0.5', '--scheme', 'extreme'], /^fedmed: --scheme applies only with --clients and without --weights \(explicit shares replace the scheme\)$/],
    [['--dp', 'gs-wgan', '--privacy-unit', 'slice'], /^fedmed: --privacy-unit applies only with --dp dp-sgd$/],
    [['--dp', 'dp-sgd', '--noise', '0'], /--noise 0 gives no privacy .*--allow-no-privacy/],
    [['--width', '1e9'], /--width must be at most 256, got 1000000000/],
  ];
  for (const [args, pattern] of cases) {
    const r = fedmed('train', ...tiny, ...args, '--out', path.join(scratch, 'never'));
    assert.is(r.code, 2, args.join(' '));
    assert.match(oneLine(r.err), pattern);
  }
  assert.not.ok(existsSync(path.join(scratch, 'never')));
});

test.run();
