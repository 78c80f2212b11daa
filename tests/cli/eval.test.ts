import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitSubjects } from '../../data/index.js';
import type { DirectionMetrics, EpochRecord } from '../../eval/records.js';
import { decodeSafetensors, encodeSafetensors } from '../../engine/index.js';
import { fedmed, overflowWeights, scratchDir } from './helpers.js';

const dir = scratchDir('eval');
const run = join(dir, 'run');

interface EvalJson {
  checkpoint: string;
  subjects: 'test' | 'all';
  subjectIds: string[];
  slices: number;
  metrics: DirectionMetrics[];
  baseline: DirectionMetrics[];
}

test.before(() => {
  const trained = fedmed('train', '--size', '32', '--width', '2', '--subjects', '5', '--phantom-size', '32', '--epochs', '1', '--backend', 'js', '--out', run);
  assert.is(trained.code, 0, trained.err);
});

test("eval on the run folder rebuilds the run's test set: the same scores training reported", () => {
  const result = fedmed('eval', '--checkpoint', run, '--backend', 'js', '--json');
  assert.is(result.code, 0, result.err);
  const json = JSON.parse(result.out) as EvalJson;
  const record = (JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as { epochs: EpochRecord[] }).epochs.at(-1)!;
  assert.is(json.checkpoint, join(run, 'checkpoints', 'round-0001', 'generators.safetensors'));
  assert.is(json.subjects, 'test');
  assert.equal(json.metrics, record.metrics);
  assert.is(json.subjectIds.length, 1); // round(5 * 0.2)
  assert.is(json.slices, record.metrics[0]!.images);
  assert.equal(json.metrics.map((m) => m.direction), ['PD->T2', 'T2->PD']);
  // The baseline is the untranslated input, the same number in both directions (the metrics are symmetric).
  assert.is(json.baseline[0]!.mae, json.baseline[1]!.mae);
  assert.ok(json.baseline[0]!.mae > 0);
});

test("the run's report captions each grid with its direction and test slices, the epoch once", () => {
  const captions = [...readFileSync(join(run, 'report.html'), 'utf8').matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
  // 7 test slices, 4 grid rows spread over them: 0, 1, 3, 5.
  assert.equal(captions, ['epoch 1: PD-&gt;T2, test slices 0, 1, 3, 5: input | synthesized | target', 'epoch 1: T2-&gt;PD, test slices 0, 1, 3, 5: input | synthesized | target']);
});

test('the text report: checkpoint, data, split, and a row per direction and its input', () => {
  const result = fedmed('eval', '--checkpoint', run, '--backend', 'js');
  assert.is(result.code, 0, result.err);
  assert.match(result.out, /^checkpoint: .*round-0001\/generators.safetensors \(cyclegan PD<->T2, width 2, 32 px, round 1\)\n/);
  assert.match(result.out, /data: the built-in phantom \(5 subjects\), held-out test subjects \(seed 3, test fraction 0.2\): 1 subject, 7 slices of 32x32/);
  assert.match(result.out, /\n +MAE +PSNR dB +SSIM +SSIM-gauss +SSIM-global\nPD->T2 +0\.\d{4} +\d+\.\d\d +-?0\.\d{4}/);
  assert.match(result.out, /\n {2}input +0\.\d{4}/);
  assert.match(result.out, /\nT2->PD /);
});

test('--all scores every subject of --data; a phantom folder written with the same settings gives the same slices', () => {
  const folder = join(dir, 'phantom');
  const made = fedmed('data', 'phantom', '--out', folder, '--subjects', '5', '--size', '32');
  assert.is(made.code, 0, made.err);
  const all = JSON.parse(fedmed('eval', '--checkpoint', run, '--data', folder, '--all', '--backend', 'js', '--json').out) as EvalJson;
  assert.is(all.subjects, 'all');
  assert.is(all.subjectIds.length, 5);
  assert.is(all.slices, 5 * 7);
  // The held-out split of the folder is the run's, since its slices are the phantom's.
  const test = fedmed('eval', '--checkpoint', run, '--data', folder, '--backend', 'js');
  assert.is(test.code, 0, test.err);
  assert.match(test.out, /note: the run trained on phantom; the split of other data is not its held-out set/);
  const fromFolder = JSON.parse(fedmed('eval', '--checkpoint', run, '--data', folder, '--backend', 'js', '--json').out) as EvalJson;
  const fromRun = JSON.parse(fedmed('eval', '--checkpoint', run, '--backend', 'js', '--json').out) as EvalJson;
  assert.equal(fromFolder.metrics, fromRun.metrics);
});

test("a run records its test subjects; when the folder no longer gives that split, eval scores the recorded ones still there and --resume refuses", () => {
  const folder = join(dir, 'moved');
  const made = fedmed('data', 'phantom', '--out', folder, '--subjects', '6', '--size', '32');
  assert.is(made.code, 0, made.err);
  const moved = join(dir, 'moved-run');
  // Given relative, the data is recorded resolved: eval finds it from any working directory, and knows it however it is written.
  const trained = fedmed('train', '--data', relative(process.cwd(), folder), '--size', '32', '--width', '2', '--epochs', '1', '--backend', 'js', '--out', moved);
  assert.is(trained.code, 0, trained.err);
  const config = JSON.parse(readFileSync(join(moved, 'config.json'), 'utf8')) as { data: string; testSubjects: string[] };
  assert.is(config.data, folder);
  const recorded = config.testSubjects;
  assert.is(recorded.length, 1); // round(6 * 0.2)
  const scored = () => fedmed('eval', '--checkpoint', moved, '--backend', 'js', '--json');
  assert.equal((JSON.parse(scored().out) as EvalJson).subjectIds, recorded);
  const written = fedmed('eval', '--checkpoint', moved, '--data', `./${relative(process.cwd(), folder)}/`, '--backend', 'js');
  assert.is(written.code, 0, written.err);
  assert.is(written.err, '');
  assert.not.match(written.out, /note/);
  // Take out a training subject whose absence makes the seeded split draw another test subject.
  const ids = [...new Set(readdirSync(join(folder, 'T1')).map((f) => f.slice(0, 6)))].sort();
  const gone = ids.find((id) => !recorded.includes(id) && splitSubjects(ids.filter((i) => i !== id)).test[0] !== recorded[0]);
  assert.ok(gone, 'some subject moves the split');
  const aside = join(dir, 'aside');
  mkdirSync(aside);
  const takeOut = (id: string) => {
    for (const c of ['T1', 'T2', 'PD']) for (const f of readdirSync(join(folder, c)).filter((f) => f.startsWith(id))) renameSync(join(folder, c, f), join(aside, f));
  };
  takeOut(gone!);
  const drawn = splitSubjects(ids.filter((i) => i !== gone)).test;
  const after = scored();
  assert.is(after.code, 0, after.err);
  assert.equal((JSON.parse(after.out) as EvalJson).subjectIds, recorded);
  assert.is(after.err.trim(), `note: ${folder} no longer gives the run's split (${recorded[0]} is held out by the run but not now; ${drawn[0]} is held out now but not by the run); scoring the 1 of its 1 recorded test subjects still there`);
  const resumed = fedmed('train', '--resume', moved, '--backend', 'js');
  assert.is(resumed.code, 1, resumed.err);
  assert.match(resumed.err.trim().split('\n').at(-1)!, new RegExp(`^fedmed: ${folder}: no longer gives the run's split \\(${recorded[0]} is held out by the run but not now; ${drawn[0]} is held out now but not by the run\\); resume with the data the run started with$`));
  takeOut(recorded[0]!);
  const none = scored();
  assert.is(none.code, 1, none.err);
  assert.is(none.err.trim(), `fedmed: ${folder}: holds none of the run's 1 test subject (${recorded[0]}) now; nothing held out is left to score`);
});

test('a run written before test subjects were recorded is scored on the split remade, with a note', () => {
  const result = fedmed('eval', '--checkpoint', join(run, 'checkpoints', 'round-0001', 'generators.safetensors'), '--backend', 'js', '--json');
  assert.is(result.code, 0, result.err);
  assert.is(result.err, '');
  // The same run's generators without the record, as an older fedmed wrote them.
  const old = join(dir, 'old.safetensors');
  writeFileSync(old, withoutMetadata(readFileSync(join(run, 'checkpoints', 'round-0001', 'generators.safetensors')), 'testSubjects'));
  const before = fedmed('eval', '--checkpoint', old, '--backend', 'js', '--json');
  assert.is(before.code, 0, before.err);
  assert.equal((JSON.parse(before.out) as EvalJson).metrics, (JSON.parse(result.out) as EvalJson).metrics);
  assert.match(before.err, /^note: the run predates recorded test subjects: its split is remade from seed 3 and test fraction 0.2/);
});

test("a checkpoint whose finite weights overflow: exit 1, one line naming it and the first slice, never a NaN table", () => {
  const { tensors, metadata } = decodeSafetensors(readFileSync(join(run, 'checkpoints', 'round-0001', 'generators.safetensors')));
  overflowWeights(tensors);
  const diverged = join(dir, 'diverged.safetensors');
  writeFileSync(diverged, encodeSafetensors(tensors, metadata));
  for (const json of [[], ['--json']]) {
    const r = fedmed('eval', '--checkpoint', diverged, '--backend', 'js', ...json);
    assert.is(r.code, 1, r.err);
    assert.is(r.out, '');
    assert.match(r.err, /^fedmed: .*diverged.safetensors gave NaN for PD->T2 of subject \S+ slice z=\d+ \(pixel \(\d+, \d+\) of its 32x32 output\): its weights are diverged or broken; nothing is scored or written\n$/);
  }
});

test('a checkpoint without the metadata its split needs: exit 1, and advice that works', () => {
  const generators = readFileSync(join(run, 'checkpoints', 'round-0001', 'generators.safetensors'));
  const lacking = (...keys: string[]) => {
    const file = join(dir, `no-${keys.join('-')}.safetensors`);
    writeFileSync(file, withoutMetadata(generators, ...keys));
    return file;
  };
  const [noSeed, noFraction, noData] = [lacking('seed'), lacking('testFraction'), lacking('data')];
  const cases: [string[], RegExp][] = [
    [['--checkpoint', noSeed], /no-seed.safetensors: its metadata has no seed, which the phantom and the run's test split need; pass --data DIR --all to score every subject of a data folder$/],
    [['--checkpoint', noSeed, '--all'], /no-seed.safetensors: its metadata has no seed, which the phantom needs; pass --data DIR to score every subject of a data folder$/],
    [['--checkpoint', noFraction], /no-testFraction.safetensors: its metadata has no testFraction, which the run's test split needs; pass --all to score every subject$/],
    [['--checkpoint', noData], /no-data.safetensors does not record its run's data; pass --data DIR\|phantom$/],
  ];
  for (const [args, message] of cases) {
    const r = fedmed('eval', ...args, '--backend', 'js');
    assert.is(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err.trim(), message);
  }
  const advised = fedmed('eval', '--checkpoint', noFraction, '--all', '--backend', 'js', '--json');
  assert.is(advised.code, 0, advised.err);
});

test('--help, and bad input as one line with a non-zero exit', () => {
  const help = fedmed('eval', '--help');
  assert.is(help.code, 0);
  assert.match(help.out, /--checkpoint RUN\|FILE +a run folder, a round folder or a generators.safetensors file/);
  assert.match(help.out, /--all +score every subject/);
  const garbage = join(dir, 'garbage.safetensors');
  writeFileSync(garbage, 'not a checkpoint');
  const cases: [string[], number, RegExp][] = [
    [[], 2, /^fedmed: fedmed eval needs --checkpoint RUN\|FILE; see fedmed eval --help$/],
    [['--checkpoint', join(dir, 'missing')], 1, /missing: no such checkpoint; give a run folder or a generators.safetensors file$/],
    [['--checkpoint', dir], 1, /: not a run folder \(no checkpoints\/latest\) and holds no generators.safetensors$/],
    [['--checkpoint', garbage], 1, /garbage.safetensors: header of \d+ bytes runs past the end of the file/],
    [['--checkpoint', run, '--data', join(dir, 'no-data')], 1, /no-data/],
    [['--checkpoint', run, '--all', '--all=maybe'], 2, /--all is true or false, got 'maybe'$/],
    [['--checkpoint', run, '--json', 'yes'], 2, /^fedmed: fedmed eval takes no argument 'yes' \(flags start with --\); see fedmed eval --help$/],
  ];
  for (const [args, code, message] of cases) {
    const result = fedmed('eval', ...args, '--backend', 'js');
    assert.is(result.code, code, `${args.join(' ')}: ${result.err}`);
    assert.is(result.err.trim().split('\n').length, 1, result.err);
    assert.match(result.err.trim(), message);
  }
});

/** A safetensors file's bytes with `keys` dropped from its metadata (the header is JSON after an 8-byte length). */
function withoutMetadata(bytes: Buffer, ...keys: string[]): Buffer {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as { __metadata__: Record<string, string> };
  for (const key of keys) {
    assert.ok(header.__metadata__[key], key);
    delete header.__metadata__[key];
  }
  const json = Buffer.from(JSON.stringify(header).padEnd(length, ' '));
  return Buffer.concat([bytes.subarray(0, 8), json, bytes.subarray(8 + length)]);
}

test.run();
