import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNiftiFile } from '../../data/fs/index.js';
import { headerAffine, type NiftiHeader } from '../../data/index.js';
import { sliceToPlane, translateVolume, type PlaneTranslator } from '../../eval/volume-translate.js';
import { setBackend, tensor } from '../../engine/index.js';
import { fedmed, fedmedWithFullDisk, freshCheckpoint, overflowWeights, scratchDir, writeVolume } from './helpers.js';

const dir = scratchDir('translate');
const colin = '/usr/share/mricron/templates/ch2.nii.gz'; // Colin27 T1, 181x217x181 uint8 (Debian mricron-data)
const checkpoint = join(dir, 'generators.safetensors');

test.before(async () => {
  await setBackend('js');
  const { model } = await freshCheckpoint(checkpoint, { width: 2, size: 32 });
  model.dispose();
});

const identity: PlaneTranslator = async (images) => images;

/** The plane a volume's data holds at z, [ny, nx]. */
function plane(data: Float32Array, nx: number, ny: number, z: number): Float32Array {
  return data.subarray(z * nx * ny, (z + 1) * nx * ny);
}

function minMax(x: Float32Array): Float64Array {
  const [lo, hi] = [Math.min(...x), Math.max(...x)];
  return Float64Array.from(x, (v) => (v - lo) / (hi - lo));
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function volume(shape: [number, number, number], values: Float32Array, name = 'v.nii') {
  return { name, header: {} as NiftiHeader, shape, spacing: [1, 1, 1], affine: [], data: values, zRange: [0, shape[2]] as [number, number] };
}

test('with an identity translator each plane comes back min-max scaled: square, wide and tall planes at the model size', async () => {
  for (const [nx, ny] of [[32, 32], [32, 20], [19, 32]] as const) {
    const nz = 3;
    const values = Float32Array.from({ length: nx * ny * nz }, (_, i) => Math.sin(i * 0.37) * 50 + (i % nx) * 2 + 100 * Math.floor(i / (nx * ny)));
    const out = await translateVolume(volume([nx, ny, nz], values), identity, { size: 32, batch: 2 });
    for (let z = 0; z < nz; z++) {
      // Padding to 32 is the only geometry: the plane returns in place, on [0, 1] (minMaxNormalize's 1e-8 aside).
      assert.ok(maxDifference(plane(out, nx, ny, z), minMax(plane(values, nx, ny, z))) < 1e-6, `${nx}x${ny} plane ${z}`);
    }
  }
});

test('a plane larger than the model size is shrunk and enlarged back: smooth content survives, in [0, 1]', async () => {
  const [nx, ny, nz] = [64, 48, 2];
  const values = Float32Array.from({ length: nx * ny * nz }, (_, i) => {
    const [x, y] = [i % nx, Math.floor(i / nx) % ny];
    return Math.exp(-((x - 30) ** 2 + (y - 20) ** 2) / 200);
  });
  const out = await translateVolume(volume([nx, ny, nz], values), identity, { size: 32 });
  for (let z = 0; z < nz; z++) {
    const [a, b] = [plane(out, nx, ny, z), minMax(plane(values, nx, ny, z))];
    assert.ok(maxDifference(a, b) < 0.05, `plane ${z}: ${maxDifference(a, b)}`);
    assert.ok(a.every((v) => v >= 0 && v <= 1));
  }
  // sliceToPlane alone: a constant image stays constant at any size.
  assert.ok(sliceToPlane(new Float32Array(32 * 32).fill(0.25), 32, 50, 70).every((v) => Math.abs(v - 0.25) < 1e-6));
});

test('--planes translates only z0 <= z < z1, the rest is 0; the translator sees [-1, 1] and its output is clamped to [0, 1]', async () => {
  const [nx, ny, nz] = [32, 32, 6];
  const values = Float32Array.from({ length: nx * ny * nz }, (_, i) => (i * 7919) % 101);
  let seen = [Infinity, -Infinity];
  const overshoot: PlaneTranslator = async (images) => {
    seen = [Math.min(seen[0]!, ...images), Math.max(seen[1]!, ...images)];
    return images.map((v) => v * 1.5); // beyond tanh's range, as a test of the clamp
  };
  const done: number[] = [];
  const out = await translateVolume(volume([nx, ny, nz], values), overshoot, { size: 32, planes: [2, 5], batch: 2, onProgress: (d, t) => done.push(d, t) });
  assert.equal(done, [2, 3, 3, 3]);
  assert.ok(Math.abs(seen[0]! + 1) < 1e-6 && Math.abs(seen[1]! - 1) < 1e-6, `${seen}`);
  for (let z = 0; z < nz; z++) {
    const p = plane(out, nx, ny, z);
    if (z < 2 || z >= 5) assert.ok(p.every((v) => v === 0), `plane ${z}`);
    else assert.ok(p.some((v) => v === 0) && p.some((v) => v === 1) && p.every((v) => v >= 0 && v <= 1), `plane ${z}`);
  }
});

test('a constant (blank) input plane is written as 0 and never sent to the model; the others are translated', async () => {
  const [nx, ny, nz] = [32, 24, 4];
  const values = Float32Array.from({ length: nx * ny * nz }, (_, i) => (i * 7919) % 101);
  values.fill(0, nx * ny, 2 * nx * ny); // plane 1: zeros
  values.fill(7, 3 * nx * ny); // plane 3: one value
  let sent = 0;
  const inverts: PlaneTranslator = async (images, count) => {
    sent += count;
    return images.map((v) => -v); // a blank image (all -1) would come back as all 1
  };
  const out = await translateVolume(volume([nx, ny, nz], values), inverts, { size: 32, batch: 4 });
  assert.is(sent, 2);
  assert.ok(plane(out, nx, ny, 1).every((v) => v === 0) && plane(out, nx, ny, 3).every((v) => v === 0));
  for (const z of [0, 2]) assert.ok(maxDifference(plane(out, nx, ny, z), minMax(plane(values, nx, ny, z)).map((v) => 1 - v)) < 1e-6, `plane ${z}`);
});

test('a NaN voxel is an error naming the file, the slice and the voxel', async () => {
  const values = new Float32Array(32 * 32 * 4).fill(1);
  values[2 * 32 * 32 + 5 * 32 + 3] = NaN;
  try {
    await translateVolume(volume([32, 32, 4], values, 'bad.nii.gz'), identity, { size: 32 });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'bad.nii.gz: NaN at voxel (3, 5, 2) in slice z=2');
  }
});

test('a NaN or infinite translation is an error naming the model and the plane, never a volume of NaN', async () => {
  const values = Float32Array.from({ length: 32 * 32 * 4 }, (_, i) => i % 13);
  for (const bad of [NaN, Infinity, -Infinity]) {
    // From the second batch of 2 on (plane 2), pixel (5, 1) of each output image is `bad`.
    let calls = 0;
    const breaks: PlaneTranslator = async (images, count) => {
      const out = images.slice();
      if (calls++ > 0) for (let k = 0; k < count; k++) out[k * 32 * 32 + 32 + 5] = bad;
      return out;
    };
    try {
      await translateVolume(volume([32, 32, 4], values, 'in.nii'), breaks, { size: 32, batch: 2, modelName: 'ck.safetensors' });
      assert.unreachable(`${bad} passed`);
    } catch (e) {
      assert.is((e as Error).message, `ck.safetensors gave ${bad} for plane z=2 of in.nii (pixel (5, 1) of its 32x32 output): its weights are diverged or broken; nothing is scored or written`);
    }
  }
});

test('fedmed translate with a checkpoint whose finite weights overflow: exit 1, one line naming it and the plane, no file written', async () => {
  const input = join(dir, 'to-overflow.nii');
  await writeVolume(input, [32, 32, 2], Float32Array.from({ length: 32 * 32 * 2 }, (_, i) => i % 11));
  const diverged = join(dir, 'diverged.safetensors');
  (await freshCheckpoint(diverged, { editWeights: overflowWeights })).model.dispose();
  const out = join(dir, 'diverged-out.nii');
  const r = fedmed('translate', '--checkpoint', diverged, '--in', input, '--out', out, '--backend', 'js');
  assert.is(r.code, 1, r.err);
  assert.is(r.err.trim().split('\n').length, 1, r.err);
  assert.match(r.err, /^fedmed: .*diverged.safetensors gave NaN for plane z=0 of .*to-overflow.nii \(pixel \(\d+, \d+\) of its 32x32 output\): its weights are diverged or broken; nothing is scored or written\n$/);
  assert.not.ok(existsSync(out));
});

test('fedmed translate on Colin27: the output keeps dims, header and affine; float32 values, finite, on [0, 1]', async () => {
  const out = join(dir, 'colin-T2_synth.nii.gz');
  const result = fedmed('translate', '--checkpoint', checkpoint, '--in', colin, '--out', out, '--backend', 'js');
  assert.is(result.code, 0, result.err);
  assert.match(result.out, /ch2.nii.gz: 181x217x181, translating T1 -> T2, planes \[0, 181\) at 32x32/);
  assert.match(result.out, /wrote .*colin-T2_synth.nii.gz: 181x217x181 float32 on \[0, 1\] with the input's header and affine \(181 planes in/);
  const [input, output] = [await readNiftiFile(colin), await readNiftiFile(out)];
  assert.equal(output.shape, input.shape);
  assert.equal(output.affine, input.affine);
  assert.equal(headerAffine(output.header), headerAffine(input.header));
  // Every header field but the storage ones (datatype, bitpix, scaling, display range) is the input's.
  const storage = ['datatype', 'bitpix', 'sclSlope', 'sclInter', 'calMin', 'calMax', 'voxOffset'];
  for (const [key, value] of Object.entries(input.header)) {
    if (!storage.includes(key)) assert.equal(output.header[key as keyof NiftiHeader], value, key);
  }
  assert.is(output.header.datatype, 16); // NIFTI_TYPE_FLOAT32
  assert.ok(output.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
  // A translation, not zeros or a copy: every plane varies, but for Colin27's blank planes (175, 177-180), left 0.
  const [nx, ny] = [181, 217];
  for (const z of [0, 90, 174, 176]) {
    const p = plane(output.data, nx, ny, z);
    assert.ok(Math.max(...p) - Math.min(...p) > 0.01, `plane ${z}`);
  }
  for (const z of [175, 177, 178, 179, 180]) assert.ok(plane(output.data, nx, ny, z).every((v) => v === 0), `blank plane ${z}`);

  // --planes gives the same planes (the model sees each plane alone) and zeros elsewhere; --force replaces.
  const part = join(dir, 'colin-part.nii');
  const partial = fedmed('translate', '--checkpoint', checkpoint, '--in', colin, '--out', part, '--planes', '88:92', '--batch', '3', '--backend', 'js');
  assert.is(partial.code, 0, partial.err);
  const some = await readNiftiFile(part);
  const slab = nx * ny;
  assert.ok(maxDifference(some.data.subarray(88 * slab, 92 * slab), output.data.subarray(88 * slab, 92 * slab)) < 1e-6);
  assert.ok(some.data.subarray(0, 88 * slab).every((v) => v === 0) && some.data.subarray(92 * slab).every((v) => v === 0));
  assert.is(fedmed('translate', '--checkpoint', checkpoint, '--in', colin, '--out', part, '--planes', '0:1', '--backend', 'js', '--force').code, 0);
  assert.ok(statSync(part).size > 0);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp')), []); // no temporary left behind
});

test('each plane is the model translating the min-max scaled plane mapped to [-1, 1]', async () => {
  const [nx, ny, nz] = [32, 32, 3];
  const values = Float32Array.from({ length: nx * ny * nz }, (_, i) => 20 + 10 * Math.cos(i / 9) + (i % 97));
  const input = join(dir, 'square.nii');
  const out = join(dir, 'square-out.nii');
  await writeVolume(input, [nx, ny, nz], values);
  const ckpt = join(dir, 'direct.safetensors');
  const { model } = await freshCheckpoint(ckpt, { width: 2, size: 32, seed: 21 });
  try {
    for (const direction of ['a2b', 'b2a'] as const) {
      const result = fedmed('translate', '--checkpoint', ckpt, '--in', input, '--out', out, '--direction', direction, '--backend', 'js', '--force');
      assert.is(result.code, 0, result.err);
      const written = (await readNiftiFile(out)).data;
      const scaled = new Float32Array(values.length);
      for (let z = 0; z < nz; z++) scaled.set(minMax(plane(values, nx, ny, z)).map((v) => v * 2 - 1), z * nx * ny);
      const x = tensor(scaled, [nz, 1, ny, nx]);
      const y = model.translate(x, direction);
      const expected = Array.from(await y.data(), (v) => Math.min(1, Math.max(0, (v + 1) / 2)));
      x.dispose();
      y.dispose();
      assert.ok(maxDifference(written, expected) < 1e-5, `${direction}: ${maxDifference(written, expected)}`);
    }
  } finally {
    model.dispose();
  }
});

test('--help, and bad input as one line with a non-zero exit; nothing written over', async () => {
  const help = fedmed('translate', '--help');
  assert.is(help.code, 0);
  assert.match(help.out, /--planes Z0:Z1 +translate only planes z0 <= z < z1/);
  assert.match(help.out, /--force +replace --out if it exists/);

  const existing = join(dir, 'existing.nii.gz');
  writeFileSync(existing, 'keep me');
  const nan = join(dir, 'nan.nii');
  const nanValues = new Float32Array(32 * 24 * 5).fill(3);
  nanValues[3 * 32 * 24 + 40] = NaN;
  await writeVolume(nan, [32, 24, 5], nanValues);
  const flat = join(dir, 'flat.nii');
  await writeVolume(flat, [32, 24], new Float32Array(32 * 24));
  const series = join(dir, 'series.nii');
  await writeVolume(series, [8, 8, 4, 2], new Float32Array(8 * 8 * 4 * 2));
  const named = join(dir, 'IXI002-Guys-0828-T2.nii');
  await writeVolume(named, [32, 32, 2], Float32Array.from({ length: 32 * 32 * 2 }, (_, i) => i % 7));
  const noMeta = join(dir, 'no-meta.safetensors');
  const { model } = await freshCheckpoint(noMeta, {}, { model: undefined });
  model.dispose();
  const truncated = join(dir, 'truncated.safetensors');
  writeFileSync(truncated, readFileSync(checkpoint).subarray(0, 2000));
  const folderOut = join(dir, 'folder.nii');
  mkdirSync(folderOut);
  const out = join(dir, 'out.nii.gz');
  const base = ['--checkpoint', checkpoint, '--in', colin, '--out', out];
  const cases: [string[], number, RegExp][] = [
    [['--in', colin, '--out', out], 2, /^fedmed: fedmed translate needs --checkpoint; see fedmed translate --help$/],
    [['--checkpoint', checkpoint, '--in', colin], 2, /needs --out/],
    [[...base.slice(0, 4), '--out', existing], 2, /--out .*existing.nii.gz exists; pass --force to replace it$/],
    [[...base.slice(0, 4), '--out', colin, '--force'], 2, /--out .*ch2.nii.gz is the input file; write the translation elsewhere$/],
    [[...base.slice(0, 4), '--out', join(existing, 'x.nii.gz')], 2, /^fedmed: --out .*existing.nii.gz\/x.nii.gz: .*existing.nii.gz is a file, not a folder$/],
    [[...base.slice(0, 4), '--out', join(existing, 'sub', 'x.nii.gz')], 2, /^fedmed: --out .*existing.nii.gz\/sub\/x.nii.gz: .*existing.nii.gz is a file, not a folder$/],
    [[...base.slice(0, 4), '--out', folderOut, '--force'], 2, /^fedmed: --out .*folder.nii is a folder; name the file to write$/],
    [[...base.slice(0, 4), '--out', join(dir, 'out.png')], 2, /--out .*out.png: name it .nii or .nii.gz$/],
    [[...base, '--direction', 'ab'], 2, /--direction is one of a2b\|b2a, got 'ab'$/],
    [[...base, '--planes', '100:50'], 2, /--planes 100:50: needs 0 <= z0 < z1 <= 181 \(the volume's planes\)$/],
    [[...base, '--planes', 'middle'], 2, /--planes is z0:z1/],
    [['--checkpoint', checkpoint, '--in', join(dir, 'none.nii.gz'), '--out', out], 1, /none.nii.gz: no such file$/],
    [['--checkpoint', checkpoint, '--in', nan, '--out', out], 1, /nan.nii: NaN at voxel \(8, 1, 3\) in slice z=3$/],
    [['--checkpoint', checkpoint, '--in', flat, '--out', out], 1, /flat.nii: is 2-D \(32x24\); one 3-D volume is needed$/],
    [['--checkpoint', checkpoint, '--in', series, '--out', out], 1, /series.nii: is 4-D \(8x8x4x2\); one 3-D volume is needed$/],
    [['--checkpoint', checkpoint, '--in', named, '--out', out], 2, /its name says T2, but the translation is T1 -> T2 \(--direction b2a translates T2 -> T1\); give --direction to go ahead$/],
    [['--checkpoint', noMeta, '--in', colin, '--out', out], 1, /no-meta.safetensors: no model in its metadata/],
    [['--checkpoint', truncated, '--in', colin, '--out', out], 1, /truncated.safetensors: .*past the end of the file/],
    [['--checkpoint', join(dir, 'nowhere'), '--in', colin, '--out', out], 1, /nowhere: no such checkpoint/],
  ];
  for (const [args, code, message] of cases) {
    const result = fedmed('translate', ...args, '--backend', 'js');
    assert.is(result.code, code, `${args.join(' ')}: ${result.err}`);
    assert.is(result.err.trim().split('\n').length, 1, result.err);
    assert.match(result.err.trim(), message);
    if (args.includes('--out') && code === 2) assert.is(result.out, '', 'a bad --out is refused before the work');
  }
  assert.is(readFileSync(existing, 'utf8'), 'keep me');
  assert.not.ok(existsSync(out));
  // The name check gives way to an explicit direction.
  assert.is(fedmed('translate', '--checkpoint', checkpoint, '--in', named, '--out', out, '--direction', 'a2b', '--backend', 'js').code, 0);
});

test('--out under /proc fails at once with one line; on a full disk exit 74 naming --out, the old file kept, no temp file', async () => {
  const input = join(dir, 'small.nii');
  await writeVolume(input, [32, 32, 2], Float32Array.from({ length: 32 * 32 * 2 }, (_, i) => i % 5));
  const proc = fedmed('translate', '--checkpoint', checkpoint, '--in', input, '--out', '/proc/fedmed/t2.nii.gz', '--backend', 'js');
  assert.is(proc.code, 1, proc.err);
  assert.match(proc.err.trim(), /^fedmed: \/proc\/fedmed: is under \/proc, a kernel file system; choose a folder on a disk$/);
  const folder = join(dir, 'full');
  const out = join(folder, 't2.nii.gz');
  await writeVolume(out, [2, 2, 1], new Float32Array(4));
  const before = readFileSync(out);
  const full = fedmedWithFullDisk(100, 'translate', '--checkpoint', checkpoint, '--in', input, '--out', out, '--force', '--backend', 'js');
  assert.is(full.code, 74, full.err);
  assert.match(full.err, new RegExp(`\\n?fedmed: ${out}: cannot write: no space left on the device \\(ENOSPC\\)\\n$`));
  assert.equal(readFileSync(out), before);
  assert.equal(readdirSync(folder), ['t2.nii.gz']);
});

test.run();
