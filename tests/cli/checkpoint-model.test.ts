import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCheckpoint, resolveGeneratorsFile } from '../../cli/checkpoint-model.js';
import { buildModel, parseMetadata } from '../../fed/checkpoint.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { modelMetadata } from '../../cli/train/run.js';
import { encodeSafetensors, randn, setBackend } from '../../engine/index.js';
import { writeManifest } from '../../store/manifest.js';
import { fedmedPath, freshCheckpoint, scratchDir } from './helpers.js';

const dir = scratchDir('checkpoint');

test.before(async () => {
  await setBackend('js');
});

/** The message of the error `run` rejects with. */
async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

test('a run folder, a round folder and the file itself all name the generators file', async () => {
  const run = join(dir, 'run');
  const round = join(run, 'checkpoints', 'round-0003');
  mkdirSync(round, { recursive: true });
  const { model } = await freshCheckpoint(join(round, 'generators.safetensors'));
  model.dispose();
  await writeManifest(round, ['generators.safetensors'], {}); // as fedmed train writes a round
  writeFileSync(join(run, 'checkpoints', 'latest'), 'round-0003\n');
  const file = join(round, 'generators.safetensors');
  assert.is(await resolveGeneratorsFile(run), file);
  assert.is(await resolveGeneratorsFile(round), file);
  assert.is(await resolveGeneratorsFile(file), file);
  assert.match(await failure(() => resolveGeneratorsFile(join(dir, 'nowhere'))), /nowhere: no such checkpoint; give a run folder or a generators.safetensors file$/);
  mkdirSync(join(dir, 'empty'));
  assert.match(await failure(() => resolveGeneratorsFile(join(dir, 'empty'))), /empty: not a run folder \(no checkpoints\/latest\) and holds no generators.safetensors$/);
});

test('buildModel loads the saved generators over a differently seeded model: same weights, same translations', async () => {
  const { file, model: saved } = await freshCheckpoint(join(dir, 'fresh.safetensors'), { width: 2, size: 32, seed: 11 });
  const checkpoint = await readCheckpoint(file);
  assert.equal(checkpoint.metadata, { model: 'cyclegan', width: 2, size: 32, source: 'T1', target: 'T2', identity: 'standard', round: 1, data: undefined, seed: undefined, testFraction: undefined, phantomSubjects: undefined, phantomSize: undefined, skipBadSubjects: undefined, skippedSubjects: undefined, testSubjects: undefined });
  const loaded = buildModel(checkpoint); // seed 3 (none recorded), so its own initial weights differ from seed 11's
  try {
    const names = (m: typeof saved) => m.generatorParameters().map(([n]) => n);
    assert.equal(names(loaded), names(saved));
    for (const [[name, a], [, b]] of saved.generatorParameters().map((p, i) => [p, loaded.generatorParameters()[i]!] as const)) {
      assert.equal(Array.from(await b.data()), Array.from(await a.data()), name);
    }
    const x = randn([2, 1, 32, 32]);
    for (const direction of ['a2b', 'b2a'] as const) {
      const [ya, yb] = [saved.translate(x, direction), loaded.translate(x, direction)];
      assert.equal(Array.from(await yb.data()), Array.from(await ya.data()), direction);
      ya.dispose();
      yb.dispose();
    }
    x.dispose();
  } finally {
    loaded.dispose();
    saved.dispose();
  }
});

test('the metadata fedmed train writes reads back as the run config says, with the subjects it left out and those it held out', async () => {
  const config = await trainConfigFromArgs(['--model', 'unit', '--direction', 't1:flair', '--size', '48', '--width', '8', '--seed', '9', '--test-fraction', '0.25', '--subjects', '10', '--phantom-size', '40', '--identity', 'reference']);
  const m = parseMetadata({ ...modelMetadata(config), round: '4' }, 'x.safetensors');
  const expected = { model: 'unit', width: 8, size: 48, source: 'T1', target: 'FLAIR', identity: 'reference', round: 4, data: 'phantom', seed: 9, testFraction: 0.25, phantomSubjects: 10, phantomSize: 40 };
  assert.equal(m, { ...expected, skipBadSubjects: undefined, skippedSubjects: undefined, testSubjects: undefined });
  const skipping = parseMetadata({ ...modelMetadata({ ...config, skipBadSubjects: true, testSubjects: ['IXI003', 'IXI010'] }, ['IXI002', 'IXI007']), round: '4' }, 'x.safetensors');
  assert.equal(skipping, { ...expected, skipBadSubjects: true, skippedSubjects: ['IXI002', 'IXI007'], testSubjects: ['IXI003', 'IXI010'] });
});

test('bad metadata is one line naming the file and the key', () => {
  const good = { model: 'cyclegan', width: '4', size: '32', source: 'PD', target: 'T2', identity: 'standard' };
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /^g.st: no model in its metadata; not a generators checkpoint written by fedmed train$/],
    [{ ...good, width: '' }, /^g.st: its metadata has no width$/],
    [{ ...good, model: 'pix2pix' }, /^g.st: metadata model is "pix2pix", expected one of cyclegan, cyclegan-resnet, unit, munit, hlhgan, hypergan$/],
    [{ ...good, size: '3.5' }, /^g.st: metadata size is "3.5", expected a whole number >= 1$/],
    [{ ...good, source: 'CT' }, /^g.st: metadata source is "CT", expected a contrast$/],
    [{ ...good, target: 'pd' }, /^g.st: metadata target is "pd", expected a contrast other than the source PD$/],
    [{ ...good, testFraction: '1' }, /^g.st: metadata testFraction is "1", expected a number in \(0, 1\)$/],
  ];
  for (const [meta, message] of cases) {
    let thrown = '';
    try {
      parseMetadata(meta, 'g.st');
    } catch (e) {
      thrown = (e as Error).message;
    }
    assert.match(thrown, message);
  }
});

test('corrupt, truncated and mismatched checkpoints are errors naming the file', async () => {
  const { file, model } = await freshCheckpoint(join(dir, 'whole.safetensors'));
  model.dispose();
  const bytes = readFileSync(file);
  const truncated = join(dir, 'truncated.safetensors');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  assert.match(await failure(() => readCheckpoint(truncated)), /truncated.safetensors: .*data runs past the end of the file/);
  const garbage = join(dir, 'garbage.safetensors');
  writeFileSync(garbage, Buffer.from('this is not a safetensors file at all'));
  assert.match(await failure(() => readCheckpoint(garbage)), /garbage.safetensors: header of \d+ bytes runs past the end/);
  const bare = join(dir, 'bare.safetensors');
  writeFileSync(bare, encodeSafetensors(new Map([['w', { shape: [1], values: new Float32Array(1) }]])));
  assert.match(await failure(() => readCheckpoint(bare)), /bare.safetensors: no model in its metadata/);
  // Width 4 metadata over width-2 tensors: the names match, the sizes do not.
  const { file: wide, model: m2 } = await freshCheckpoint(join(dir, 'wide.safetensors'), { width: 2 }, { width: '4' });
  m2.dispose();
  const checkpoint = await readCheckpoint(wide);
  let message = '';
  try {
    buildModel(checkpoint).dispose();
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /wide.safetensors \(cyclegan, width 4\): no generatorAB\.\S+ of \d+ values/);
  const { file: small, model: m3 } = await freshCheckpoint(join(dir, 'small.safetensors'), {}, { size: '40' });
  m3.dispose();
  const notMultiple = await readCheckpoint(small);
  assert.throws(() => buildModel(notMultiple), /small.safetensors: createModel: cyclegan needs a size that is a multiple of 32/);
});

test('generators holding NaN or an infinity are refused, naming the file, the tensor and where', async () => {
  const { file, model } = await freshCheckpoint(join(dir, 'finite.safetensors'));
  model.dispose();
  const whole = await readCheckpoint(file);
  const [name, entry] = [...whole.tensors].find(([, e]) => e.values.length > 5)!;
  for (const [label, value] of [['nan', NaN], ['inf', -Infinity]] as const) {
    const values = entry.values.slice();
    values[5] = value;
    const damaged = join(dir, `${label}.safetensors`);
    const metadata = Object.fromEntries(Object.entries(whole.metadata).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    writeFileSync(damaged, encodeSafetensors(new Map([...whole.tensors, [name, { shape: entry.shape, values }]]), metadata));
    assert.is(await failure(() => readCheckpoint(damaged)), `${damaged}: tensor ${name} holds ${value} at flat index 5; the generators are damaged or diverged`);
  }
});

test('a run going on can be read at any moment: a read caught between its rounds reads the new one', async () => {
  // A tiny run finishes several rounds a second, each replacing the last (written, pointed to, the old one removed).
  const run = join(dir, 'live');
  const training = spawn(process.execPath, [fedmedPath, 'train', '--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--backend', 'js', '--epochs', '1000', '--out', run], { stdio: 'ignore' });
  try {
    while (!existsSync(join(run, 'checkpoints', 'latest'))) await new Promise((r) => setTimeout(r, 50));
    const failures: string[] = [];
    let reads = 0;
    const end = Date.now() + 8000;
    // Four readers at once: before a read retried, 11 of 2625 failed here in these 8 s.
    await Promise.all([1, 2, 3, 4].map(async () => {
      while (Date.now() < end) {
        await readCheckpoint(run).then(() => reads++, (e: Error) => failures.push(e.message));
      }
    }));
    assert.equal(failures, [], `${failures.length} of ${reads + failures.length} reads failed`);
    assert.ok(reads > 100, `${reads} reads`);
  } finally {
    training.kill('SIGKILL');
  }
});

test.run();
