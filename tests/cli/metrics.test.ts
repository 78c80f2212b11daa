import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { VolumeScores } from '../../eval/volume-metrics.js';
import { fedmed, scratchDir, writeVolume } from './helpers.js';

// tests/fixtures/make_volume_fixtures.py: two volumes written by nibabel and skimage's scores.
const fixtures = fileURLToPath(new URL('../../../tests/fixtures/volumes/', import.meta.url)); // from dist/tests/cli
const pred = join(fixtures, 'pred.nii.gz');
const target = join(fixtures, 'target.nii.gz');

interface FixtureSlice {
  z: number;
  mae: number;
  psnr: number | null;
  uniform: number;
  gaussian: number;
  global: number;
}

const expected = JSON.parse(readFileSync(join(fixtures, 'metrics.json'), 'utf8')) as { dims: number[]; slices: FixtureSlice[]; skipped: number[] };
const dir = scratchDir('metrics');

type Json = VolumeScores & { dims: number[] };

function scores(...args: string[]): Json {
  const result = fedmed('metrics', '--pred', pred, '--target', target, '--json', ...args);
  assert.is(result.code, 0, result.err);
  return JSON.parse(result.out) as Json;
}

function close(actual: number, wanted: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - wanted) <= tolerance, `${what}: ${actual} vs ${wanted}`);
}

test('per-slice MAE, PSNR and each SSIM equal skimage / the reference code on min-max scaled planes', () => {
  for (const kind of ['uniform', 'gaussian', 'global'] as const) {
    const s = scores('--ssim', kind);
    assert.equal(s.dims, expected.dims);
    assert.is(s.ssim, kind);
    assert.equal(s.planes, [0, expected.dims[2]]);
    assert.equal(s.skipped, expected.skipped);
    assert.equal(s.slices.map((r) => r.z), expected.slices.map((r) => r.z));
    s.slices.forEach((r, i) => {
      const want = expected.slices[i]!;
      close(r.mae, want.mae, 1e-12, `z ${r.z} mae`);
      if (want.psnr === null) assert.is(r.psnr, null, `z ${r.z} psnr`); // +Infinity in JSON
      else close(r.psnr, want.psnr, 1e-10, `z ${r.z} psnr`);
      close(r.ssim, want[kind], 1e-12, `z ${r.z} ssim ${kind}`);
    });
    const mean = (key: 'mae' | typeof kind) => expected.slices.reduce((a, r) => a + r[key], 0) / expected.slices.length;
    close(s.mean.mae, mean('mae'), 1e-12, 'mean mae');
    close(s.mean.ssim, mean(kind), 1e-12, `mean ssim ${kind}`);
    assert.is(s.mean.psnr, null); // one exact slice makes the mean +Infinity
  }
});

test('--planes limits the slices and the means; the text report lists slices, the mean and what was left out', () => {
  const s = scores('--planes', '4:');
  assert.equal(s.slices.map((r) => r.z), [4, 5]);
  const want = expected.slices.filter((r) => r.z >= 4);
  close(s.mean.psnr, (want[0]!.psnr! + want[1]!.psnr!) / 2, 1e-10, 'mean psnr');
  const text = fedmed('metrics', '--pred', pred, '--target', target);
  assert.is(text.code, 0, text.err);
  assert.match(text.out, /^ *z +MAE +PSNR dB +SSIM \(uniform\)\n/);
  assert.match(text.out, /\n2 +0\.0000 +inf +1\.0000\n/);
  assert.match(text.out, /\nmean +0\.\d{4} +inf +0\.\d{4}\n5 slices of planes \[0, 6\)\nleft out, their target constant: 1 plane \(3\)\n$/);
});

test('--help, and bad input as one line with a non-zero exit', async () => {
  const help = fedmed('metrics', '--help');
  assert.is(help.code, 0);
  assert.match(help.out, /--ssim uniform\|gaussian\|global +which SSIM \(default uniform\)/);
  const [nx, ny, nz] = expected.dims as [number, number, number];
  const nan = join(dir, 'nan.nii');
  const values = Float32Array.from({ length: nx * ny * nz }, (_, i) => i % 13);
  values[2 * nx * ny + 3 * nx + 4] = NaN;
  await writeVolume(nan, [nx, ny, nz], values);
  const inf = join(dir, 'inf.nii');
  values[2 * nx * ny + 3 * nx + 4] = 0;
  values[5 * nx * ny] = -Infinity;
  await writeVolume(inf, [nx, ny, nz], values);
  const other = join(dir, 'other.nii');
  await writeVolume(other, [nx, ny + 1, nz], new Float32Array(nx * (ny + 1) * nz));
  const tiny = join(dir, 'tiny.nii');
  await writeVolume(tiny, [5, 5, 2], Float32Array.from({ length: 50 }, (_, i) => i));
  const flat = join(dir, 'flat.nii');
  await writeVolume(flat, [nx, ny], new Float32Array(nx * ny));
  const cases: [string[], number, RegExp][] = [
    [['--target', target], 2, /^fedmed: fedmed metrics needs --pred; see fedmed metrics --help$/],
    [['--pred', pred, '--target', other], 1, /pred.nii.gz: is 26x21x6 but .*other.nii is 26x22x6; the volumes must have the same dims$/],
    [['--pred', nan, '--target', target], 1, /nan.nii: NaN at voxel \(4, 3, 2\) in slice z=2$/],
    [['--pred', pred, '--target', inf], 1, /inf.nii: -Infinity at voxel \(0, 0, 5\) in slice z=5$/],
    [['--pred', flat, '--target', target], 1, /flat.nii: is 2-D \(26x21\); one 3-D volume is needed$/],
    [['--pred', tiny, '--target', tiny], 1, /tiny.nii: ssim: a 5x5 image is smaller than the uniform window \(7x7\); try --ssim global$/],
    [['--pred', pred, '--target', target, '--planes', '3:4'], 1, /target.nii.gz: every plane in \[3, 4\) is constant: nothing to compare$/],
    [['--pred', pred, '--target', target, '--planes', '2:9'], 2, /--planes 2:9: needs 0 <= z0 < z1 <= 6/],
    [['--pred', pred, '--target', target, '--ssim', 'ms-ssim'], 2, /--ssim is one of uniform\|gaussian\|global, got 'ms-ssim'$/],
    [['--pred', join(dir, 'gone.nii'), '--target', target], 1, /gone.nii: no such file$/],
    [['--pred', pred, '--target', target, 'extra'], 2, /takes no argument 'extra'/],
  ];
  for (const [args, code, message] of cases) {
    const result = fedmed('metrics', ...args);
    assert.is(result.code, code, `${args.join(' ')}: ${result.err}`);
    assert.is(result.err.trim().split('\n').length, 1, result.err);
    assert.match(result.err.trim(), message);
  }
  // A tiny volume still has the one-window SSIM.
  assert.is(fedmed('metrics', '--pred', tiny, '--target', tiny, '--ssim', 'global').code, 0);
});

test.run();
