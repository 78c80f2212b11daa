/**
 * The models added after the first three go through the same `fedmed`
 * commands as they do, in child processes at toy size on js: train, a run
 * killed after its first epoch and resumed ends with the uninterrupted run's
 * generators, eval scores its checkpoint, translate writes a volume (and,
 * for Hyper-GAN, one of any other pair of contrasts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensors } from '../../cli/train/checkpoint.js';
import { readNiftiFile } from '../../data/fs/index.js';
import { fedmed, scratchDir, writeVolume } from './helpers.js';

const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const tiny = ['--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--backend', 'js'];

async function generators(run: string, round: string): Promise<Map<string, number[]>> {
  const { tensors } = await readSafetensors(join(run, 'checkpoints', round, 'generators.safetensors'));
  return new Map([...tensors].map(([k, v]) => [k, [...v.values]]));
}

function ok(result: ReturnType<typeof fedmed>, what: string): string {
  assert.is(result.code, 0, `${what} failed: ${result.err.trim().split('\n').pop()}`);
  return result.out;
}

/** Runs `fedmed ARGS` and kills it (SIGKILL) once its first checkpoint is whole: a crash after epoch 1. */
async function killedAfterFirstCheckpoint(args: string[]): Promise<void> {
  const out = args[args.indexOf('--out') + 1]!;
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  while (!existsSync(join(out, 'checkpoints', 'latest')) && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(join(out, 'checkpoints', 'round-0001')), 'the run had reached its first checkpoint');
  assert.not.ok(existsSync(join(out, 'checkpoints', 'round-0002')), 'killed before its second');
}

/** A key only the model's own generators have. */
const ownKey: Record<string, string> = { hlhgan: 'generatorAB.degrader.', hypergan: 'generator.encoder.conv0.' };

for (const model of ['hlhgan', 'hypergan']) {
  test(`${model}: fedmed train, train --resume, eval and translate`, async () => {
    const dir = scratchDir(`cli-${model}`);
    const whole = join(dir, 'whole');
    const split = join(dir, 'split');
    ok(fedmed('train', '--model', model, ...tiny, '--epochs', '2', '--out', whole), 'train');
    await killedAfterFirstCheckpoint(['train', '--model', model, ...tiny, '--epochs', '2', '--out', split]);
    assert.is(JSON.parse(readFileSync(join(split, 'config.json'), 'utf8')).model, model);
    ok(fedmed('train', '--resume', split), 'train --resume');
    const [a, b] = [await generators(whole, 'round-0002'), await generators(split, 'round-0002')];
    assert.ok([...a.keys()].some((k) => k.startsWith(ownKey[model]!)), 'the checkpoint holds the model\'s own networks');
    assert.equal([...b.keys()], [...a.keys()]);
    for (const [name, values] of a) assert.equal(b.get(name), values, `${name}: resumed differs from uninterrupted`);

    const scores = JSON.parse(ok(fedmed('eval', '--checkpoint', whole, '--backend', 'js', '--json'), 'eval'));
    assert.is(scores.metadata.model, model);
    assert.equal(scores.metrics.map((m: { direction: string }) => m.direction), ['PD->T2', 'T2->PD']);
    for (const m of scores.metrics) assert.ok(Number.isFinite(m.psnr) && m.mae > 0, JSON.stringify(m));

    const input = join(dir, 'pd.nii');
    const [nx, ny, nz] = [32, 24, 3];
    await writeVolume(input, [nx, ny, nz], Float32Array.from({ length: nx * ny * nz }, (_, i) => Math.sin(i * 0.1) + (i % nx) / nx));
    const output = join(dir, 'synth.nii');
    ok(fedmed('translate', '--checkpoint', whole, '--in', input, '--out', output, '--backend', 'js'), 'translate');
    const written = await readNiftiFile(output);
    assert.equal([...written.shape], [nx, ny, nz]);
    assert.ok(written.data.every((v) => v >= 0 && v <= 1), 'values on [0, 1]');

    // Only Hyper-GAN translates between any two contrasts.
    const pair = fedmed('translate', '--checkpoint', whole, '--in', input, '--out', join(dir, 'pair.nii'), '--pair', 't1:pd', '--backend', 'js');
    if (model === 'hypergan') {
      ok(pair, 'translate --pair');
      const other = await readNiftiFile(join(dir, 'pair.nii'));
      assert.equal([...other.shape], [nx, ny, nz]);
      assert.not.equal(Array.from(other.data), Array.from(written.data), 'T1 -> PD is not PD -> T2');
    } else {
      assert.is(pair.code, 2);
      assert.match(pair.err, /--pair t1:pd: only a hypergan checkpoint translates between any two contrasts; this one is hlhgan/);
    }
  });
}

test.run();
