import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageMetrics, mae, mse, psnr, ssim, ssimGlobal, toUnitRange } from '../../eval/metrics.js';
import { Rng } from '../../engine/index.js';

// Made by tests/fixtures/make_ssim_fixtures.py with Debian's skimage 0.19.3 and torch 1.13.
interface PairCase {
  name: string;
  height: number;
  width: number;
  a: string;
  b: string;
  raw?: string;
  mae: number;
  mse: number;
  psnr: number | null;
  ssim: number;
  ssimGaussian: number;
}
interface BatchCase {
  name: string;
  shape: number[];
  real: string;
  fake: string;
  ssimGlobal: number;
}
const fixture = JSON.parse(readFileSync(new URL('../../../tests/fixtures/ssim.json', import.meta.url), 'utf8')) as {
  pairs: PairCase[];
  batches: BatchCase[];
};

function float32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, skimage ${expected}, |diff| ${Math.abs(actual - expected)} > ${tol}`);
}

// Both sides filter in float64, so agreement is far tighter than float32.
const TOL = 1e-10;

for (const c of fixture.pairs) {
  const size = { height: c.height, width: c.width };
  const a = float32(c.a);
  const b = float32(c.b);
  test(`skimage fixture ${c.name}: mae, mse, psnr`, () => {
    close(mae(a, b), c.mae, TOL, 'mae');
    close(mse(a, b), c.mse, TOL, 'mse');
    if (c.psnr === null) assert.is(psnr(a, b), Infinity);
    else close(psnr(a, b), c.psnr, 1e-8, 'psnr');
  });
  test(`skimage fixture ${c.name}: ssim uniform 7x7`, () => {
    close(ssim(a, b, size), c.ssim, TOL, 'ssim');
  });
  test(`skimage fixture ${c.name}: ssim gaussian sigma 1.5`, () => {
    close(ssim(a, b, size, { window: 'gaussian' }), c.ssimGaussian, TOL, 'ssim gaussian');
  });
}

test('generator output mapped to [0, 1] equals numpy float32 clip((g + 1) / 2, 0, 1)', () => {
  const c = fixture.pairs.find((p) => p.raw !== undefined)!;
  const raw = float32(c.raw!);
  assert.ok(raw.some((v) => v > 1) && raw.some((v) => v < -1), 'fixture exercises the clamp');
  assert.equal(toUnitRange(raw), float32(c.b));
  const [row] = imageMetrics(float32(c.a), toUnitRange(raw), { height: c.height, width: c.width });
  close(row!.ssim, c.ssim, TOL, 'ssim of mapped output');
});

for (const c of fixture.batches) {
  test(`reference code fixture ${c.name}: ssimGlobal equals its torch float32 value`, () => {
    const real = float32(c.real);
    const fake = float32(c.fake);
    close(ssimGlobal(real, fake), c.ssimGlobal, 2e-6, 'ssimGlobal'); // torch sums in float32
  });
}

function randomImage(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform());
}

test('identical images: SSIM 1 in both windows, PSNR +Infinity, MAE 0', () => {
  const a = randomImage(new Rng(1), 17 * 19);
  const size = { height: 17, width: 19 };
  close(ssim(a, a, size), 1, 1e-12, 'ssim uniform');
  close(ssim(a, a, size, { window: 'gaussian' }), 1, 1e-12, 'ssim gaussian');
  assert.is(psnr(a, a), Infinity);
  assert.is(mae(a, a), 0);
});

test('ssim and ssimGlobal are symmetric; ssim stays in [-1, 1]', () => {
  const rng = new Rng(2);
  const size = { height: 15, width: 12 };
  const a = randomImage(rng, 180);
  const b = randomImage(rng, 180);
  for (const window of ['uniform', 'gaussian'] as const) {
    const ab = ssim(a, b, size, { window });
    close(ssim(b, a, size, { window }), ab, 1e-15, `ssim ${window} symmetric`);
    assert.ok(ab >= -1 && ab <= 1, `ssim ${window} ${ab} in [-1, 1]`);
  }
  close(ssimGlobal(b, a), ssimGlobal(a, b), 1e-15, 'ssimGlobal symmetric');
});

test('ssim falls as noise grows', () => {
  const rng = new Rng(3);
  const size = { height: 24, width: 24 };
  const a = Float32Array.from({ length: 576 }, (_, i) => 0.5 + 0.4 * Math.sin(i / 7));
  let previous = 1;
  for (const sigma of [0.01, 0.05, 0.2]) {
    const b = Float32Array.from(a, (v) => v + sigma * rng.normal());
    const value = ssim(a, b, size);
    assert.ok(value < previous, `sigma ${sigma}: ${value} < ${previous}`);
    previous = value;
  }
});

test('psnr is 10 log10(1 / mse) with peak 1: offsets 0.5 and 0.1 give 6.02 and 20 dB', () => {
  const a = new Float32Array(64).fill(0.25);
  const b = new Float32Array(64).fill(0.75);
  close(psnr(a, b), 10 * Math.log10(4), 1e-12, 'psnr of 0.5 offset');
  const c = Float32Array.from(a, (v) => v + 0.1);
  close(psnr(a, c), 20, 1e-5, 'psnr of 0.1 offset'); // 0.1 is not a float32
});

test('ssimGlobal of identical images is below 1: unbiased variances against a biased covariance', () => {
  const a = Float32Array.from([0, 0.5, 1, 0.25]);
  const mean = 0.4375;
  const ss = [0, 0.5, 1, 0.25].reduce((s, v) => s + (v - mean) ** 2, 0);
  const expected = (2 * (ss / 4) + 0.03) / (2 * (ss / 3) + 0.03);
  close(ssimGlobal(a, a), expected, 1e-15, 'ssimGlobal(a, a)');
  assert.ok(expected < 1);
});

test('imageMetrics splits a batch into per-image rows', () => {
  const rng = new Rng(4);
  const size = { height: 11, width: 11 };
  const target = randomImage(rng, 3 * 121);
  const synthesized = randomImage(rng, 3 * 121);
  synthesized.set(target.subarray(121, 242), 121); // the middle image is exact
  const rows = imageMetrics(target, synthesized, size);
  assert.is(rows.length, 3);
  assert.is(rows[1]!.psnr, Infinity);
  close(rows[1]!.ssim, 1, 1e-12, 'exact image ssim');
  close(rows[2]!.ssimGaussian, ssim(target.subarray(242), synthesized.subarray(242), size, { window: 'gaussian' }), 0, 'row 2');
  assert.throws(() => imageMetrics(target, synthesized, { height: 10, width: 11 }), /whole number of 10x11 images/);
});

test('bad input: window larger than the image, size mismatch, length mismatch', () => {
  const a = new Float32Array(10 * 10);
  assert.throws(() => ssim(a, a, { height: 10, width: 10 }, { window: 'gaussian' }), /smaller than the gaussian window \(11x11\)/);
  assert.throws(() => ssim(a, a, { height: 9, width: 10 }), /not 9x10/);
  assert.throws(() => mae(a, new Float32Array(3)), /differ in length/);
});

test('toUnitRange maps -1, 0, 1 to 0, 0.5, 1 and clamps beyond', () => {
  assert.equal([...toUnitRange(Float32Array.from([-1, 0, 1, -3, 2.5]))], [0, 0.5, 1, 0, 1]);
});

test.run();
