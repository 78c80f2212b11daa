/**
 * Training runs end to end at toy scale on the js backend: resume gives the
 * same weights as an uninterrupted run (centralized, and federated with
 * DP-SGD), a non-finite loss stops the run naming the step and keeps the last
 * good checkpoint, and the run folder holds what the report needs.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../engine/index.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { latestCheckpoint, readSafetensors } from '../../cli/train/checkpoint.js';
import { runTraining } from '../../cli/train/run.js';
import { modelOptions, startingGenerators } from '../../cli/train/setup.js';
import { describeCheckpoint } from '../../fed/checkpoint.js';
import { writeNamed } from '../../fed/state.js';
import { createModel } from '../../models/index.js';
import { NonFiniteLossError } from '../../fed/client.js';
import { writePhantom } from '../../data/fs/index.js';
import { rejects } from '../helpers/rejects.js';
import { scratchDir } from '../cli/helpers.js';

const tiny = ['--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--backend', 'js'];
const quiet = { log: () => {}, progress: null };
/** A new run folder, removed at exit. */
const runDir = () => scratchDir('run');

async function generators(dir: string): Promise<Map<string, Float32Array>> {
  const latest = await latestCheckpoint(dir);
  const { tensors } = await readSafetensors(path.join(latest!, 'generators.safetensors'));
  return new Map([...tensors].map(([k, v]) => [k, v.values]));
}

async function assertSameWeights(a: string, b: string): Promise<void> {
  const [ga, gb] = [await generators(a), await generators(b)];
  assert.equal([...ga.keys()], [...gb.keys()]);
  for (const [name, values] of ga) assert.equal([...gb.get(name)!], [...values], `${name} differs`);
}

test.before(async () => {
  await setBackend('js');
});

test('centralized: stopping after epoch 1 and resuming gives the uninterrupted run\'s weights', async () => {
  const config = await trainConfigFromArgs([...tiny, '--epochs', '3']);
  const whole = runDir();
  await runTraining(config, whole, quiet);
  const split = runDir();
  await runTraining(config, split, { ...quiet, stopAfterRounds: 1 });
  assert.is(readFileSync(path.join(split, 'checkpoints', 'latest'), 'utf8').trim(), 'round-0001');
  // The CLI's --resume reads the run's config.json: it records the test subjects, so the split drawn again is checked, with no note.
  const saved = JSON.parse(readFileSync(path.join(split, 'config.json'), 'utf8')) as typeof config;
  assert.is(saved.testSubjects?.length, 1); // round(6 * 0.2)
  const lines: string[] = [];
  await runTraining(saved, split, { ...quiet, log: (line) => lines.push(line), resume: true });
  assert.not.ok(lines.some((l) => /note/.test(l)), lines.join('\n'));
  await assertSameWeights(whole, split);
  // A run written before test subjects were recorded resumes on the split remade, and says it cannot be checked.
  const { testSubjects: _recorded, ...older } = saved;
  const olderLines: string[] = [];
  await runTraining(older, split, { ...quiet, log: (line) => olderLines.push(line), resume: true });
  assert.ok(olderLines.some((l) => /^note: the run predates recorded test subjects: its split is remade from seed 3 and test fraction 0.2/.test(l)), olderLines.join('\n'));
  const metrics = JSON.parse(readFileSync(path.join(split, 'metrics.json'), 'utf8'));
  assert.equal(metrics.epochs.map((e: { epoch: number }) => e.epoch), [1, 2, 3]);
  for (const f of ['report.html', 'metrics.csv', 'curves.svg', 'config.json']) assert.ok(existsSync(path.join(split, f)), f);
  assert.ok(readdirSync(path.join(split, 'grids')).some((f) => f.endsWith('.png')));
  assert.equal(readdirSync(path.join(split, 'checkpoints')).sort(), ['latest', 'round-0003']);
});

test('federated with DP-SGD: noise from a secret key that a resumed run keeps, so it repeats the noise and the ledger', async () => {
  // Noise 3: a subject's few slices stay inside the noise's cut tail, so the subject accountant gives their figure (fed/dp/noise_tail.ts).
  const config = await trainConfigFromArgs([...tiny, '--subjects', '12', '--clients', '2', '--scheme', 'average', '--rounds', '2', '--local-epochs', '1', '--dp', '--noise', '3']);
  assert.is(config.dpRandomness, 'secret');
  const whole = runDir();
  const full = await runTraining(config, whole, quiet);
  const split = runDir();
  await runTraining(config, split, { ...quiet, stopAfterRounds: 1 });
  const again = runDir(); // the same checkpoint resumed twice: the key comes back from it both times
  cpSync(split, again, { recursive: true });
  const resumed = await runTraining(config, split, { ...quiet, resume: true });
  await runTraining(config, again, { ...quiet, resume: true });
  await assertSameWeights(again, split);
  const [mine, other] = [await generators(split), await generators(whole)];
  assert.ok([...mine].some(([name, values]) => values.some((v, i) => v !== other.get(name)![i])), 'another run with the same settings draws other noise');
  assert.equal(resumed.history.ledger, full.history.ledger);
  const ledger = JSON.parse(readFileSync(path.join(split, 'privacy.json'), 'utf8'));
  assert.equal(ledger.entries.map((e: { client: string; round: number }) => `${e.client}@${e.round}`), ['client1@1', 'client2@1', 'client1@2', 'client2@2']);
  assert.ok(ledger.entries.every((e: { epsilon: number }) => e.epsilon > 0 && Number.isFinite(e.epsilon)));
  assert.ok(ledger.entries[2].epsilon > ledger.entries[0].epsilon, 'epsilon grows with rounds');
  assert.equal([ledger.unit, ledger.sampling, ledger.accountants], ['slice', 'poisson', ['rdp', 'prv']]);
  const subjectFigures = ledger.entries.map((e: { subjectEpsilon: number; subjectDelta: number; subjectMethod: string; epsilon: number }) => [e.subjectMethod, e.subjectDelta, e.subjectEpsilon > e.epsilon]);
  const shares = ledger.entries.map((e: { subjectShare: number }) => e.subjectShare);
  assert.is(Math.max(...shares), ledger.subjectShare, `each client's own share, the largest at the top: ${shares}`);
  assert.ok(ledger.subjectShare > 1 && subjectFigures.every((f: unknown[]) => f[0] === 'subject accountant' && f[1] === 1e-5 && f[2] === true), JSON.stringify(subjectFigures));
  const shown = /Poisson sampling, expected batch \d+ slices, the tighter of RDP and PRV\): epsilon ([\d.]+) per slice at delta 0.00001 by (RDP|PRV) \(a whole subject, up to \d+ slices, all their slices accounted together: epsilon ([\d.]+) at delta 0.00001\)/.exec(readFileSync(path.join(split, 'report.html'), 'utf8'));
  assert.ok(shown, 'the report states the privacy spent');
  // Shown to 2 decimals, rounded up: never below the bound computed (to nearest, 3.7841 showed as 3.78).
  for (const [text, exact] of [[shown[1]!, Math.max(...ledger.entries.map((e: { epsilon: number }) => e.epsilon))], [shown[3]!, Math.max(...ledger.entries.map((e: { subjectEpsilon: number }) => e.subjectEpsilon))]] as const) {
    assert.ok(Number(text) >= exact && Number(text) - exact < 0.01, `shown ${text}, computed ${exact}`);
  }
  assert.match(readFileSync(path.join(split, 'privacy.csv'), 'utf8'), /^client,round,unit,.*subject_epsilon,subject_delta,subject_method\n[^,]+,1,slice,.*,subject accountant\n/);
  const [header, ...rows] = readFileSync(path.join(split, 'clients.csv'), 'utf8').trim().split('\n');
  assert.match(header!, /^round,client,items,steps,epsilon,loss_generator,/);
  assert.equal(rows.map((r) => r.split(',').slice(0, 2).join('@')), ['1@client1', '1@client2', '2@client1', '2@client2']);
  assert.equal(resumed.history.clients.map((c) => c.epsilon), ledger.entries.map((e: { epsilon: number }) => e.epsilon));
  assert.equal(resumed.history.clients.map((c) => c.steps), full.history.clients.map((c) => c.steps));
  assert.equal([ledger.guarantee, ledger.caveat], [true, null]);
});

test('DP-SGD seeded from --seed: the run repeats bit for bit, and its ledger says the epsilon is no guarantee', async () => {
  const config = await trainConfigFromArgs([...tiny, '--subjects', '8', '--clients', '2', '--scheme', 'average', '--rounds', '1', '--local-epochs', '1', '--dp', '--dp-randomness', 'seeded']);
  const [a, b] = [runDir(), runDir()];
  for (const dir of [a, b]) await runTraining(config, dir, quiet);
  await assertSameWeights(a, b);
  const ledger = JSON.parse(readFileSync(path.join(a, 'privacy.json'), 'utf8'));
  assert.is(ledger.guarantee, false);
  assert.match(ledger.caveat, /drawn from the seed \(--dp-randomness seeded\)/);
});

test('subject-level DP-SGD: subjects are sampled and accounted, and every output names the unit', async () => {
  const config = await trainConfigFromArgs([...tiny, '--subjects', '8', '--clients', '2', '--scheme', 'average', '--rounds', '1', '--local-epochs', '1', '--dp', '--privacy-unit', 'subject', '--paired-ratio', '1', '--batch', '2']);
  const dir = runDir();
  const lines: string[] = [];
  await runTraining(config, dir, { ...quiet, log: (line: string) => lines.push(line) });
  const ledger = JSON.parse(readFileSync(path.join(dir, 'privacy.json'), 'utf8'));
  assert.equal([ledger.unit, ledger.subjectShare], ['subject', 1]);
  // Each client holds 3 training subjects: q = 2 / 3 and 2 steps an epoch.
  assert.equal(ledger.entries.map((e: { q: number; steps: number }) => [e.q, e.steps]), [[2 / 3, 2], [2 / 3, 2]]);
  assert.ok(lines.some((l) => /Poisson-sampled steps \(q 0.667 per subject\)/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /epsilon [\d.]+ per subject at delta/.test(l)), lines.join('\n'));
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /expected batch 2 subjects of up to 4 slices, the tighter of RDP and PRV\): epsilon [\d.]+ per subject at delta 0.00001 by (RDP|PRV)/);
  assert.match(readFileSync(path.join(dir, 'privacy.csv'), 'utf8'), /\n[^,]+,1,subject,/);
  await rejects(() => trainConfigFromArgs([...tiny, '--dp', '--privacy-unit', 'subject']), /--privacy-unit subject needs --dp dp-sgd and --paired-ratio 1/);
});

test('--epsilon: each client sets its own sigma to spend the target over the run, and the outputs say so', async () => {
  const config = await trainConfigFromArgs([...tiny, '--subjects', '12', '--clients', '2', '--weights', '0.7,0.3', '--rounds', '2', '--local-epochs', '1', '--dp', '--epsilon', '4', '--dp-randomness', 'seeded']); // seeded: the resumed run below is compared with this one
  assert.equal([config.noise, config.epsilon], [null, 4]);
  const dir = runDir();
  const lines: string[] = [];
  await runTraining(config, dir, { ...quiet, log: (line: string) => lines.push(line) });
  const ledger = JSON.parse(readFileSync(path.join(dir, 'privacy.json'), 'utf8'));
  const last = ledger.entries.slice(-2) as { client: string; noise: number; epsilon: number; round: number }[];
  assert.equal(last.map((e) => `${e.client}@${e.round}`), ['client1@2', 'client2@2']);
  for (const e of last) assert.ok(e.epsilon <= 4 && e.epsilon > 3.99, `${e.client} spends ${e.epsilon}`);
  assert.ok(last[0]!.noise < last[1]!.noise, `the larger client needs less noise: ${last.map((e) => e.noise)}`);
  assert.ok(ledger.entries.every((e: { client: string; noise: number }) => e.noise === last.find((l) => l.client === e.client)!.noise), 'one sigma per client all run');
  assert.ok(lines.some((l) => new RegExp(`client1: .*, sigma ${last[0]!.noise} to spend epsilon 4$`).test(l)), lines.join('\n'));
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), new RegExp(`sigma client1 ${last[0]!.noise}, client2 ${last[1]!.noise}, each set to spend epsilon 4 by the end`));
  // Resumed, each client sets the same sigma again and the run ends where the uninterrupted one did.
  const split = runDir();
  await runTraining(config, split, { ...quiet, stopAfterRounds: 1 });
  const resumed = await runTraining(config, split, { ...quiet, resume: true });
  await assertSameWeights(dir, split);
  assert.equal(resumed.history.ledger, ledger.entries);
});

test('--noise or --epsilon: one of them, the command line winning over the config file; --epsilon only for DP-SGD', async () => {
  await rejects(() => trainConfigFromArgs(['--dp', '--noise', '1', '--epsilon', '3']), /give --noise \(one sigma for every client\) or --epsilon .*, not both$/);
  await rejects(() => trainConfigFromArgs(['--dp', 'gs-wgan', '--epsilon', '3']), /--epsilon applies only with --dp dp-sgd/);
  await rejects(() => trainConfigFromArgs(['--dp', '--epsilon', '0']), /--epsilon must be a positive number, got 0/);
  const file = path.join(runDir(), 'eps.json');
  writeFileSync(file, JSON.stringify({ dp: 'dp-sgd', epsilon: 10 }));
  assert.equal(pick(await trainConfigFromArgs(['--config', file])), [null, 10]);
  assert.equal(pick(await trainConfigFromArgs(['--config', file, '--noise', '1.3'])), [1.3, undefined]);
  writeFileSync(file, JSON.stringify({ dp: 'dp-sgd', noise: 1.3 }));
  assert.equal(pick(await trainConfigFromArgs(['--config', file, '--epsilon', '8'])), [null, 8]);
  writeFileSync(file, JSON.stringify({ dp: 'dp-sgd', noise: 1.3, epsilon: 8 }));
  await rejects(() => trainConfigFromArgs(['--config', file]), /not both \(both are in the config file\)/);
});

function pick(config: { noise: number | null; epsilon?: number }): [number | null, number | undefined] {
  return [config.noise, config.epsilon];
}

test('GS-WGAN: every epsilon shown says it is no guarantee for the generators, the ledger records its shuffled fixed-size batches, and clients.csv shows none', async () => {
  const config = await trainConfigFromArgs([...tiny, '--subjects', '8', '--clients', '2', '--scheme', 'average', '--rounds', '1', '--local-epochs', '1', '--dp', 'gs-wgan']);
  const dir = runDir();
  const lines: string[] = [];
  await runTraining(config, dir, { ...quiet, log: (line: string) => lines.push(line) });
  const words = /epsilon [\d.]+ per slice .*this epsilon is not a guarantee for the generators: GS-WGAN noises only the image gradient/;
  assert.ok(lines.some((l) => words.test(l)), lines.join('\n'));
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), words);
  const ledger = JSON.parse(readFileSync(path.join(dir, 'privacy.json'), 'utf8'));
  assert.equal(ledger.guarantee, false);
  assert.match(ledger.caveat, /not a guarantee/);
  assert.equal([ledger.sampling, ledger.accountants], ['without-replacement', ['rdp']], 'the sampling its loader used, not Poisson');
  assert.match(readFileSync(path.join(dir, 'privacy.csv'), 'utf8'), /\n[^,]+,1,slice,(?:[^,]*,){6}no,/);
  const clients = JSON.parse(readFileSync(path.join(dir, 'clients.json'), 'utf8')).clients;
  assert.ok(clients.length === 2 && clients.every((c: { epsilon?: number }) => c.epsilon === undefined), JSON.stringify(clients));
});

test('centralized CycleGAN with 2 averaged discriminators (Tables 5-6): both heads train, are kept with the client and resume', async () => {
  const config = await trainConfigFromArgs([...tiny, '--epochs', '2', '--discriminators', '2']);
  assert.is(config.discriminators, 2);
  const whole = runDir();
  await runTraining(config, whole, quiet);
  const split = runDir();
  await runTraining(config, split, { ...quiet, stopAfterRounds: 1 });
  await runTraining(config, split, { ...quiet, resume: true });
  await assertSameWeights(whole, split);
  const [clientFile] = readdirSync(path.join(split, 'checkpoints', 'round-0002')).filter((f) => f !== 'generators.safetensors' && f.endsWith('.safetensors'));
  const { tensors } = await readSafetensors(path.join(split, 'checkpoints', 'round-0002', clientFile!));
  const heads = new Set([...tensors.keys()].map((k) => /discriminator[AB]\.heads\.\d+/.exec(k)?.[0]).filter(Boolean));
  assert.equal([...heads].sort(), ['discriminatorA.heads.0', 'discriminatorA.heads.1', 'discriminatorB.heads.0', 'discriminatorB.heads.1']);
});

test('a non-finite loss stops the run naming the step and keeps the last good checkpoint', async () => {
  const config = await trainConfigFromArgs([...tiny, '--epochs', '2']);
  const dir = runDir();
  await runTraining(config, dir, { ...quiet, stopAfterRounds: 1 });
  const before = await generators(dir);
  try {
    await runTraining({ ...config, lr: 1e30 }, dir, { ...quiet, resume: true });
    assert.unreachable('training should have stopped');
  } catch (e) {
    assert.instance(e, NonFiniteLossError);
    assert.match((e as Error).message, /loss \w+ is (NaN|-?Infinity) at epoch 2, step \d+/);
  }
  assert.is(readFileSync(path.join(dir, 'checkpoints', 'latest'), 'utf8').trim(), 'round-0001');
  const after = await generators(dir);
  for (const [name, values] of before) assert.equal([...after.get(name)!], [...values], `${name} changed`);
});

test('a non-finite loss on data read from files names the batch\'s subjects, their planes and files', async () => {
  const data = path.join(runDir(), 'data');
  await writePhantom(data, { subjects: 6, size: 32, workers: 1 });
  const config = await trainConfigFromArgs(['--data', data, '--size', '32', '--width', '2', '--backend', 'js', '--epochs', '1', '--lr', '1e30']);
  try {
    await runTraining(config, runDir(), quiet);
    assert.unreachable('training should have stopped');
  } catch (e) {
    assert.instance(e, NonFiniteLossError);
    const message = (e as Error).message;
    const named = /on a batch of (IXI\d+)[^(]* planes? \d+/.exec(message);
    assert.ok(named, message);
    assert.match(message, new RegExp(`\\(${data}/[^,)]*${named![1]}[^,)]*\\.nii\\.gz`));
    assert.not.match(message, /\n/);
  }
});

test('--start-from: a new run begins from the checkpoint\'s generators, a resumed one from its own; another model is one line naming what differs', async () => {
  const publicRun = runDir();
  await runTraining(await trainConfigFromArgs([...tiny, '--epochs', '1', '--seed', '101']), publicRun, quiet);
  // A learning rate of 1e-12 leaves the weights where they start, to 1e-9: the run's generators are then its starting point's.
  const still = ['--epochs', '2', '--lr', '1e-12'];
  const [fresh, started] = [runDir(), runDir()];
  await runTraining(await trainConfigFromArgs([...tiny, ...still]), fresh, quiet);
  const lines: string[] = [];
  const config = await trainConfigFromArgs([...tiny, ...still, '--start-from', publicRun]);
  await runTraining(config, started, { ...quiet, log: (line) => lines.push(line), stopAfterRounds: 1 });
  assert.ok(lines.some((l) => l.startsWith(`start: generators from ${publicRun}/checkpoints/round-0001/generators.safetensors (cyclegan PD<->T2, width 2, 32 px, round 1)`)), lines.join('\n'));
  const maxGap = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) => Math.max(...[...a].map(([name, v]) => Math.max(...v.map((x, i) => Math.abs(x - b.get(name)![i]!)))));
  const [start, afterOne, fromSeed] = [await generators(publicRun), await generators(started), await generators(fresh)];
  assert.ok(maxGap(afterOne, start) < 1e-6, `${maxGap(afterOne, start)} from the starting generators`);
  assert.ok(maxGap(fromSeed, start) > 0.01, 'the seed\'s fresh weights are the starting point\'s');
  // Resuming reads the run's checkpoint, not the starting file: that may be gone by then.
  rmSync(publicRun, { recursive: true });
  await runTraining(JSON.parse(readFileSync(path.join(started, 'config.json'), 'utf8')), started, { ...quiet, resume: true });
  assert.ok(maxGap(await generators(started), start) < 1e-6);
  assert.match(readFileSync(path.join(started, 'report.html'), 'utf8'), `generators started from ${publicRun}, not fresh weights`);
  // Generators of another width, or none at all: one line, before anything is written.
  const other = runDir();
  await rejects(() => runTraining(config, other, quiet), /^--start-from .*: no such checkpoint; give a run folder or a generators\.safetensors file$/);
  await rejects(
    async () => runTraining(await trainConfigFromArgs([...tiny, '--width', '3', '--epochs', '1', '--start-from', fresh]), other, quiet),
    /^--start-from .*: holds cyclegan PD<->T2, width 2, 32 px, round 2 generators, but this run trains cyclegan PD<->T2, width 3, 32 px \(width differ\)$/,
  );
  assert.equal(readdirSync(other), []);
  // Checked before the data is read: a wrong start is what a run with bad data too is told first.
  await rejects(
    async () => runTraining(await trainConfigFromArgs(['--size', '32', '--width', '3', '--epochs', '1', '--backend', 'js', '--data', '/no/such/data', '--start-from', fresh]), other, quiet),
    /^--start-from .*\(width differ\)$/,
  );
});

test('the main job starts from configs/public.safetensors: its model\'s generators, made by configs/public.json from another phantom cohort than the hospitals\'', async () => {
  const configFile = (name: string) => fileURLToPath(new URL(`../../../configs/${name}`, import.meta.url));
  const main = await trainConfigFromArgs(['--config', configFile('main.json'), '--backend', 'js']);
  assert.is(main.startFrom, configFile('public.safetensors'));
  const start = await startingGenerators(main, main.startFrom!);
  assert.match(describeCheckpoint(start.metadata), /^cyclegan PD<->T2, width 8, 64 px, round 23$/);
  const model = createModel(main.model, modelOptions(main, main.seed));
  try {
    writeNamed(model.generatorParameters(), start.tensors, main.startFrom!); // every generator tensor, of its size
  } finally {
    model.dispose();
  }
  // Its metadata names the run that made it: DP covers only what the main job adds, so that run must not have seen the hospitals' subjects.
  const made = await trainConfigFromArgs(['--config', configFile('public.json')]);
  const { metadata } = start;
  assert.equal([metadata.data, metadata.seed, metadata.phantomSubjects, metadata.round], [made.data, made.seed, made.phantomSubjects, made.rounds]);
  assert.is.not(metadata.seed, main.seed, "the phantom's seed draws its subjects: the public cohort's must differ from the hospitals'");
});

test('configuration mistakes are one-line usage errors', async () => {
  await rejects(() => trainConfigFromArgs(['--direction', 'pd-t2']), /--direction is SRC:DST/);
  await rejects(() => trainConfigFromArgs(['--direction', 'pd:xx']), /not a contrast/);
  await rejects(() => trainConfigFromArgs(['--epoch', '3']), /unknown flag --epoch; did you mean --epochs\?/);
  await rejects(() => trainConfigFromArgs(['--clients', '3', '--weights', '0.5,0.5']), /2 shares for 3 clients/);
  await rejects(() => trainConfigFromArgs(['--model', 'hlhgan', '--discriminators', '4']), /averaged discriminators are CycleGAN's ablation \(cyclegan, cyclegan-resnet\), not hlhgan/);
  await rejects(() => trainConfigFromArgs(['--discriminators', '0']), /--discriminators must be at least 1, got 0/);
  await rejects(() => trainConfigFromArgs(['--seed', '-1']), /^--seed must be at least 0, got -1$/);
  await rejects(() => trainConfigFromArgs(['--seed', String(2 ** 32)]), /^--seed must be at most 4294967295, got 4294967296$/);
  await rejects(() => trainConfigFromArgs(['--model', 'munit', '--size', '32']), /^--size: munit needs a size that is a multiple of 4 and at least 64, got 32$/);
  await rejects(() => trainConfigFromArgs(['--dp', '--clip-split', '1']), /--clip-split must be in \(0, 1\), got 1/);
  await rejects(() => trainConfigFromArgs(['--dp', 'gs-wgan', '--clip-split', '0.7']), /--clip-split applies only with --dp dp-sgd/);
  assert.is((await trainConfigFromArgs(['--dp', '--clip-split', '0.7'])).clipSplit, 0.7);
  const file = path.join(runDir(), 'bad.json');
  writeFileSync(file, JSON.stringify({ model: 'cyclegan', lerning_rate: 0.1 }));
  await rejects(() => trainConfigFromArgs(['--config', file]), /unknown key 'lerning_rate'/);
  writeFileSync(file, JSON.stringify({ size: 32, out: 'elsewhere' })); // honoured nowhere: refused, not ignored
  await rejects(() => trainConfigFromArgs(['--config', file]), /'out' says how to run, not what the run is: give it on the command line \(--out\)/);
  writeFileSync(file, JSON.stringify(await trainConfigFromArgs(['--size', '32']))); // a run folder's config.json
  await rejects(() => trainConfigFromArgs(['--config', file]), /a run folder's config\.json .* --resume .* continues that run/);
});

test('too little data after --skip-bad-subjects: the error names the subjects left out', async () => {
  const root = path.join(runDir(), 'data');
  await writePhantom(root, { subjects: 4, size: 32, seed: 1, layout: 'ixi' });
  for (const id of ['001-Guys-1001', '002-HH-1002']) {
    const file = path.join(root, `PD/IXI${id}-PD.nii.gz`);
    writeFileSync(file, readFileSync(file).subarray(0, 100)); // truncated gzip
  }
  const config = await trainConfigFromArgs(['--data', root, '--size', '32', '--width', '2', '--epochs', '1', '--skip-bad-subjects']);
  await rejects(() => runTraining(config, runDir(), quiet), /has 1 subject; unpaired items need at least 2 .*\(after leaving out 2 subjects: IXI001, IXI002\)$/);
});

test('a --config file sets values and flags typed on the command line win; its paths are relative to its folder', async () => {
  const file = path.join(runDir(), 'run.json');
  writeFileSync(file, JSON.stringify({ model: 'unit', width: 8, direction: 't1:t2', clients: 4 }));
  const config = await trainConfigFromArgs(['--config', file, '--width', '4']);
  assert.equal([config.model, config.width, config.source, config.target, config.clients], ['unit', 4, 'T1', 'T2', 4]);
  // Paths in the file are relative to its folder, those typed relative to the working directory; 'phantom' and '' name no file.
  const folder = path.dirname(file);
  writeFileSync(file, JSON.stringify({ data: 'ixi', 'start-from': '../public/generators.safetensors' }));
  const fromFile = await trainConfigFromArgs(['--config', file]);
  assert.equal([fromFile.data, fromFile.startFrom], [path.join(folder, 'ixi'), path.join(folder, '..', 'public', 'generators.safetensors')]);
  writeFileSync(file, JSON.stringify({ 'start-from': 'phantom' })); // a file of that name: only data's 'phantom' is the built-in one
  assert.is((await trainConfigFromArgs(['--config', file])).startFrom, path.join(folder, 'phantom'));
  const typed = await trainConfigFromArgs(['--config', file, '--start-from', 'mine.safetensors']);
  assert.is(typed.startFrom, path.resolve('mine.safetensors'));
  writeFileSync(file, JSON.stringify({ data: 'phantom', 'start-from': '' }));
  const none = await trainConfigFromArgs(['--config', file]);
  assert.equal([none.data, none.startFrom], ['phantom', undefined]);
});

test.run();
