/**
 * fedmed latent on a tiny trained CycleGAN run: a valid SVG with the four
 * kinds, the asked number of points each, drawn from the run's test slices
 * then its training slices; and the one-line refusals (no run folder, a
 * round whose checkpoint is gone, a model without a U-Net, bad flags); train
 * --keep-rounds keeps the rounds it names for it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../engine/index.js';
import { fedmed, freshCheckpoint, scratchDir } from './helpers.js';

const dir = scratchDir('latent');
const run = join(dir, 'run');

test.before(() => {
  // 5 subjects: 1 held out (7 slices), 4 for training (28); epochs 1 and 3 kept, 2 removed.
  const trained = fedmed('train', '--size', '32', '--width', '2', '--subjects', '5', '--phantom-size', '32', '--epochs', '3', '--keep-rounds', '1', '--backend', 'js', '--out', run);
  assert.is(trained.code, 0, trained.err);
});

/** Dots per series colour, and the legend's names, of a latent SVG. */
function seriesOf(svg: string): { dots: Map<string, number>; names: string[] } {
  const dots = new Map<string, number>();
  for (const [, color] of svg.matchAll(/<circle [^>]*fill="([^"]+)" fill-opacity/g)) dots.set(color!, (dots.get(color!) ?? 0) + 1);
  const names = [...svg.matchAll(/>((?:real|fake) [AB] \([^)]*\))<\/text>/g)].map((m) => m[1]!);
  return { dots, names };
}

test('latent writes an SVG of the four kinds with the asked points each, from the test slices then the training slices', () => {
  const out = join(dir, 'figure.svg');
  const r = fedmed('latent', '--checkpoint', run, '--samples', '20', '--out', out, '--backend', 'js');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 20 samples per kind \\(7 test and 13 training slices\\)`));
  const svg = readFileSync(out, 'utf8');
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && svg.trimEnd().endsWith('</svg>'));
  const { dots, names } = seriesOf(svg);
  assert.equal([...dots.values()], [20, 20, 20, 20]);
  assert.equal(names, ['real A (PD, 20)', 'fake A (PD, 20)', 'real B (T2, 20)', 'fake B (T2, 20)']);
  assert.ok(svg.includes('U-Net down block 4'), 'at 32 px the fourth block, and the title says so');
  const cx = [...svg.matchAll(/<circle cx="([^"]+)" cy="([^"]+)" r="2.2"/g)].map((m) => `${m[1]},${m[2]}`);
  assert.ok(new Set(cx).size > 4, 'the points are spread, not one point');
});

test('by default the figure is RUN/latent.svg, from the latest round, kept unless --force; --round reads a kept round or says which are kept', () => {
  assert.is(fedmed('latent', '--checkpoint', run, '--samples', '2', '--backend', 'js').code, 0);
  assert.ok(readFileSync(join(run, 'latent.svg'), 'utf8').includes('round 3'));
  const early = join(dir, 'early.svg');
  assert.is(fedmed('latent', '--checkpoint', run, '--round', '1', '--samples', '2', '--out', early, '--backend', 'js').code, 0);
  assert.ok(readFileSync(early, 'utf8').includes('round 1'), 'the kept round, not the latest');
  const again = fedmed('latent', '--checkpoint', run, '--samples', '2', '--backend', 'js');
  assert.equal([again.code, again.err], [2, `fedmed: --out ${join(run, 'latent.svg')} exists; pass --force to replace it\n`]);
  assert.is(fedmed('latent', '--checkpoint', run, '--samples', '2', '--backend', 'js', '--force').code, 0);
  const gone = fedmed('latent', '--checkpoint', run, '--round', '2', '--backend', 'js', '--force');
  assert.is(gone.code, 1);
  assert.match(gone.err, /^fedmed: .*run: no checkpoint of round 2; the run keeps rounds 1, 3 \(train --keep-rounds keeps more\)\n$/);
  const beyond = fedmed('train', '--epochs', '3', '--keep-rounds', '2,4', '--out', join(dir, 'never'));
  assert.is(beyond.code, 2);
  assert.match(beyond.err, /^fedmed: --keep-rounds is a comma list of rounds from 1 to 3 \(the run's rounds or epochs\), got '2,4'\n$/);
});

test('without --out, a round folder or generators file of a run draws into the run folder; a file outside a run, beside it', async () => {
  const roundDir = join(run, 'checkpoints', 'round-0003');
  for (const given of [roundDir, join(roundDir, 'generators.safetensors')]) {
    const r = fedmed('latent', '--checkpoint', given, '--samples', '2', '--backend', 'js', '--force');
    assert.is(r.code, 0, r.err);
    assert.ok(r.out.includes(`wrote ${join(run, 'latent.svg')}: 2 samples per kind`), r.out);
    assert.ok(readFileSync(join(run, 'latent.svg'), 'utf8').includes('run, round 3'), 'titled with the run, not the round folder or the file');
  }
  assert.not.ok(existsSync(join(roundDir, 'latent.svg')));
  const apart = join(dir, 'apart');
  mkdirSync(apart);
  await setBackend('js');
  const phantom = { data: 'phantom', seed: '3', testFraction: '0.2', phantomSubjects: '5', phantomSize: '32', source: 'PD', target: 'T2' };
  (await freshCheckpoint(join(apart, 'generators.safetensors'), {}, phantom)).model.dispose();
  const beside = fedmed('latent', '--checkpoint', join(apart, 'generators.safetensors'), '--samples', '2', '--backend', 'js');
  assert.is(beside.code, 0, beside.err);
  assert.equal(readdirSync(apart).sort(), ['generators.safetensors', 'latent.svg']);
});

test('a run trained with --skip-bad-subjects is drawn from its own split, the same subjects left out and listed', async () => {
  const data = join(dir, 'bad-data');
  const made = fedmed('data', 'phantom', '--out', data, '--subjects', '6', '--size', '32');
  assert.is(made.code, 0, made.err);
  const t2 = readdirSync(join(data, 'T2')).sort();
  const broken = t2.at(-1)!;
  truncateSync(join(data, 'T2', broken), 300);
  const id = broken.split('-')[0]!;
  await setBackend('js');
  const recorded = { data, seed: '3', testFraction: '0.2', source: 'PD', target: 'T2', skipBadSubjects: 'true', skippedSubjects: id };
  const file = join(dir, 'skipping.safetensors');
  (await freshCheckpoint(file, {}, recorded)).model.dispose();
  const r = fedmed('latent', '--checkpoint', file, '--samples', '2', '--out', join(dir, 'skipping.svg'), '--backend', 'js');
  assert.is(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`^skipped ${id}: .*${broken}: truncated gzip data`, 'm'));
});

test('one line for what cannot be drawn: no run folder, a model without a U-Net, bad flags', async () => {
  const missing = fedmed('latent', '--checkpoint', join(dir, 'nothing'));
  assert.is(missing.code, 1);
  assert.match(missing.err, /^fedmed: .*nothing: no such checkpoint; give a run folder or a generators.safetensors file\n$/);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  assert.match(fedmed('latent', '--checkpoint', empty).err, /^fedmed: .*empty: not a run folder \(no checkpoints\/latest\) and holds no generators.safetensors\n$/);
  await setBackend('js');
  const { file, model } = await freshCheckpoint(join(dir, 'munit.safetensors'), { model: 'munit', size: 64 });
  model.dispose();
  const munit = fedmed('latent', '--checkpoint', file, '--backend', 'js'); // js: no Dawn warnings on stderr
  assert.is(munit.code, 1);
  assert.match(munit.err, /^fedmed: the latent-space figure is not supported for munit: it reads a U-Net generator's fifth down block, and only cyclegan \(U-Net\) has one\n$/);
  for (const [args, message] of [
    [['--round', 'last'], /^fedmed: --round is a round number \(1 or more\) or 'latest', got 'last'\n$/],
    [['--samples', '0'], /^fedmed: --samples must be at least 1, got 0\n$/],
    [['--out', 'figure.png'], /^fedmed: --out figure.png: name it .svg\n$/],
    [['--out', join(run, 'config.json', 'figure.svg')], /^fedmed: --out .*config.json\/figure.svg: .*config.json is a file, not a folder\n$/],
  ] as const) {
    const r = fedmed('latent', '--checkpoint', run, ...args);
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.err, message);
    assert.is(r.out, '', 'refused before the work');
  }
  assert.match(fedmed('latent').err, /^fedmed: fedmed latent needs --checkpoint RUN/);
  // latent has no --data or --all: a checkpoint missing what its split needs is explained without eval's advice.
  for (const [lacking, message] of [
    [{ data: undefined }, /^fedmed: .*no-data.safetensors does not record its run's data\n$/],
    [{ data: 'phantom', testFraction: '0.2', phantomSubjects: '5', phantomSize: '32' }, /^fedmed: .*no-seed.safetensors: its metadata has no seed, which the phantom and the run's test split need\n$/],
  ] as const) {
    const file = join(dir, `no-${lacking.data ? 'seed' : 'data'}.safetensors`);
    (await freshCheckpoint(file, {}, lacking)).model.dispose();
    const r = fedmed('latent', '--checkpoint', file, '--backend', 'js');
    assert.is(r.code, 1, r.err);
    assert.match(r.err, message);
  }
});

test('--help says what the figure is and lists the flags', () => {
  const r = fedmed('latent', '--help');
  assert.is(r.code, 0);
  for (const flag of ['--checkpoint', '--round', '--samples', '--out', '--backend']) assert.ok(r.out.includes(flag), flag);
  assert.match(r.out, /fifth down-sampling block/);
  assert.match(fedmed('--help').out, /^  latent +the latent-space figure/m);
});

test.run();
