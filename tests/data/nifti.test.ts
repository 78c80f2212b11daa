import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gunzipSync, gzipSync } from 'fflate';
import { NIFTI1 } from 'nifti-reader-js';
import { readNiftiFile } from '../../data/fs/nifti.js';
import { decodeNifti, NiftiReader } from '../../data/nifti/decode.js';
import { encodeNifti } from '../../data/nifti/encode.js';
import { createHeader, headerDatatype } from '../../data/nifti/header.js';
import { datatypeByName } from '../../data/nifti/datatype.js';
import { DataError } from '../../data/errors.js';
import { mricronTemplates, readFixture, testWithFile } from './fixtures.js';

interface Made {
  name: string;
  base64: string;
  shape: number[];
  zooms: number[];
  datatype: string;
  littleEndian: boolean;
  affine: number[][];
  values: number[];
}
interface Real {
  file: string;
  shape: number[];
  zooms: number[];
  datatype: string;
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  descrip: string;
  affine: number[][];
  samples: { ijk: number[]; value: number }[];
  planeSums: Record<string, number>;
  sum: number;
  min: number;
  max: number;
}
const fixture = readFixture<{ real: Real[]; made: Made[] }>('nifti.json');
const bytesOf = (m: Made) => new Uint8Array(Buffer.from(m.base64, 'base64'));

function assertAffine(actual: number[][], expected: number[][], what: string) {
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      assert.ok(Math.abs(actual[r]![c]! - expected[r]![c]!) < 1e-5, `${what}: affine[${r}][${c}] ${actual[r]![c]} != ${expected[r]![c]}`);
    }
  }
}

/** The error a call throws, checked to be a one-line DataError naming `where`. */
function dataError(fn: () => unknown, where: string): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, DataError);
    const message = (e as Error).message;
    assert.ok(message.startsWith(`${where}: `), message);
    assert.not.match(message, /\n/);
    return message;
  }
  throw new Error('expected an error');
}

for (const m of fixture.made) {
  test(`nibabel-made ${m.name}: shape, voxel sizes, affine and values`, () => {
    const v = decodeNifti(bytesOf(m), m.name);
    assert.equal(v.shape, m.shape);
    assert.equal(v.spacing, m.zooms);
    assert.is(headerDatatype(v.header).name, m.datatype);
    assert.is(v.header.littleEndian, m.littleEndian);
    assertAffine(v.affine, m.affine, m.name);
    // nibabel scales in float64; we scale in float64 then store float32: the same float32 values exactly
    assert.equal([...v.data], m.values.map(Math.fround));
  });
}

test('chunked reading: any chunk size gives the same voxels', () => {
  const m = fixture.made.find((x) => x.name === 'int16-scaled')!;
  const whole = decodeNifti(bytesOf(m), m.name).data;
  for (const size of [1, 3, 7, 64, 1000]) {
    const bytes = bytesOf(m);
    const reader = new NiftiReader(m.name);
    for (let o = 0; o < bytes.length; o += size) reader.push(bytes.subarray(o, o + size), o + size >= bytes.length);
    assert.equal([...reader.finish().data], [...whole], `chunks of ${size}`);
  }
});

test('a plane range reads only those planes, of the first volume of a 4-d file', () => {
  const m = fixture.made.find((x) => x.name === 'float32-4d')!;
  const [nx, ny] = m.shape as [number, number];
  const part = decodeNifti(bytesOf(m), m.name, { zRange: [1, 2] });
  assert.equal(part.zRange, [1, 2]);
  assert.equal([...part.data], m.values.slice(nx * ny, 2 * nx * ny).map(Math.fround));
  const full = decodeNifti(bytesOf(m), m.name);
  assert.is(full.data.length, m.values.length);
  assert.equal(full.zRange, [0, 2]);
  dataError(() => decodeNifti(bytesOf(m), 'x.nii.gz', { zRange: [1, 3] }), 'x.nii.gz');
});

for (const r of fixture.real) {
  const path = `${mricronTemplates}/${r.file}`;
  testWithFile(`${r.file} (mricron-data): header, affine, voxels and sums as nibabel reads them`, path, () => {
    const v = decodeNifti(readFileSync(path), r.file);
    assert.equal(v.shape, r.shape);
    assert.equal(v.spacing, r.zooms);
    assert.is(headerDatatype(v.header).name, r.datatype);
    assert.is(v.header.voxOffset, r.voxOffset);
    assert.is(v.header.sclSlope, r.sclSlope);
    assert.is(v.header.sclInter, r.sclInter);
    assert.is(v.header.qformCode, r.qformCode);
    assert.is(v.header.sformCode, r.sformCode);
    assert.is(v.header.descrip, r.descrip);
    assertAffine(v.affine, r.affine, r.file);
    const [nx, ny] = r.shape as [number, number];
    for (const { ijk, value } of r.samples) {
      const [i, j, k] = ijk as [number, number, number];
      assert.is(v.data[i + nx * (j + ny * k)], Math.fround(value), `voxel ${ijk}`);
    }
    let sum = 0, min = Infinity, max = -Infinity;
    for (const x of v.data) {
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    assert.ok(Math.abs(sum - r.sum) <= 1e-9 * Math.abs(r.sum), `sum ${sum} vs ${r.sum}`);
    assert.is(min, Math.fround(r.min));
    assert.is(max, Math.fround(r.max));
  });

  testWithFile(`${r.file} (mricron-data): planes [50, 80) read alone match nibabel's plane sums`, path, () => {
    const bytes = readFileSync(path);
    const reader = new NiftiReader(r.file, { zRange: [50, 80] });
    let fed = 0;
    for (; fed < bytes.length && !reader.done; fed += 65536) reader.push(bytes.subarray(fed, fed + 65536), fed + 65536 >= bytes.length);
    assert.ok(fed < bytes.length, 'stopped before the end of the file');
    const v = reader.finish();
    const plane = r.shape[0]! * r.shape[1]!;
    for (let z = 50; z < 80; z++) {
      let sum = 0;
      for (let i = (z - 50) * plane; i < (z - 49) * plane; i++) sum += v.data[i]!;
      const want = r.planeSums[String(z)]!;
      assert.ok(Math.abs(sum - want) <= 1e-9 * Math.max(1, Math.abs(want)), `plane ${z}: ${sum} vs ${want}`);
    }
  });
}

// Bad files, made from a good one.
const good = fixture.made.find((x) => x.name === 'int16-scaled')!;
const goodRaw = () => gunzipSync(bytesOf(good));

test('a truncated gzip file is a one-line error naming the file', () => {
  const bytes = bytesOf(good);
  const message = dataError(() => decodeNifti(bytes.subarray(0, bytes.length - 40), 'cut.nii.gz'), 'cut.nii.gz');
  assert.match(message, /truncated gzip/);
});

test('wrong magic, NIfTI-2, a .hdr header and a file too short are named', () => {
  const raw = goodRaw();
  raw.set([0x6e, 0x2b, 0x32, 0], 344); // 'n+2'
  assert.match(dataError(() => decodeNifti(raw, 'magic.nii'), 'magic.nii'), /wrong magic 'n\+2\\x00'/);
  const pair = goodRaw();
  pair.set([0x6e, 0x69, 0x31, 0], 344); // 'ni1'
  assert.match(dataError(() => decodeNifti(pair, 'pair.hdr'), 'pair.hdr'), /\.hdr\/\.img pair/);
  const v2 = goodRaw();
  new DataView(v2.buffer).setInt32(0, 540, true);
  assert.match(dataError(() => decodeNifti(v2, 'two.nii'), 'two.nii'), /NIfTI-2/);
  const other = goodRaw();
  new DataView(other.buffer).setInt32(0, 1234, true);
  assert.match(dataError(() => decodeNifti(other, 'other.nii'), 'other.nii'), /not a NIfTI-1 file/);
  assert.match(dataError(() => decodeNifti(goodRaw().subarray(0, 200), 'short.nii'), 'short.nii'), /too short/);
});

test('dims that do not match the data length are named, gzip or not', () => {
  const bigger = goodRaw();
  new DataView(bigger.buffer).setInt16(46, 4, true); // dim[3] 3 -> 4
  assert.match(dataError(() => decodeNifti(bigger, 'big.nii'), 'big.nii'), /dims 5x4x4 int16 need 512 bytes but the file has 472/);
  assert.match(dataError(() => decodeNifti(gzipSync(bigger), 'big.nii.gz'), 'big.nii.gz'), /data ends at byte 472 but dims 5x4x4 int16 need 512/);
  const smaller = goodRaw();
  new DataView(smaller.buffer).setInt16(46, 2, true); // dim[3] 3 -> 2
  assert.match(dataError(() => decodeNifti(gzipSync(smaller), 'small.nii.gz'), 'small.nii.gz'), /data continues past the 80 voxel bytes/);
  const zero = goodRaw();
  new DataView(zero.buffer).setInt16(44, 0, true); // dim[2] = 0
  assert.match(dataError(() => decodeNifti(zero, 'zero.nii'), 'zero.nii'), /dim\[2\] is 0/);
});

test('dims past what fedmed reads are refused before anything is allocated, naming the dims and the memory', async () => {
  const huge = goodRaw();
  for (const [offset, n] of [[42, 30000], [44, 30000], [46, 30000]]) new DataView(huge.buffer).setInt16(offset!, n!, true);
  const expected = /^huge\.nii\.gz: header dims 30000x30000x30000 int16 need 27000000000000 voxels \(108000 GB as float32\); fedmed reads at most 536870912 \(2\.15 GB\): wrong dims, or a volume to crop first$/;
  assert.match(dataError(() => decodeNifti(gzipSync(huge), 'huge.nii.gz'), 'huge.nii.gz'), expected);
  // The file reader (Node's zlib) says the same, not an allocation failure or "cannot read".
  const dir = mkdtempSync(join(tmpdir(), 'fedmed-huge-'));
  try {
    writeFileSync(join(dir, 'huge.nii.gz'), gzipSync(huge));
    await readNiftiFile(join(dir, 'huge.nii.gz')).then(() => assert.unreachable('allocated'), (e: Error) => assert.match(e.message.replace(`${dir}/`, ''), expected));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a finite float64 value, or a scaled one, beyond float32\'s range is named as such, not reported as infinite', () => {
  const header = createHeader({ shape: [3, 2, 2], spacing: [1, 1, 1], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], datatype: datatypeByName('float64') });
  const values = Array.from({ length: 12 }, (_, i) => i);
  values[7] = 1e300; // voxel (1, 0, 1)
  for (const [name, gzip] of [['f64.nii', false], ['f64.nii.gz', 6]] as const) {
    const bytes = encodeNifti(header, values, { datatype: 'float64', gzip });
    assert.match(dataError(() => decodeNifti(bytes, name), name), /: value 1e\+300 at voxel \(1, 0, 1\) is beyond float32's range \(\+-3\.40e\+38\), in which fedmed computes$/);
  }
  // Infinity stored is infinity: that stays the checks' non-finite voxel, not this error.
  values[7] = Infinity;
  assert.is(decodeNifti(encodeNifti(header, values, { datatype: 'float64' }), 'inf.nii').data[7], Infinity);
  // int16 times a huge scl_slope overflows the same way: 400 x 1e36 at voxel 4.
  const scaled = encodeNifti(header, Array.from({ length: 12 }, (_, i) => i * 100), { datatype: 'int16', gzip: false });
  new DataView(scaled.buffer, scaled.byteOffset).setFloat32(112, 1e36, true); // scl_slope (encodeNifti writes 1)
  assert.match(dataError(() => decodeNifti(scaled, 'scaled.nii'), 'scaled.nii'), /scaled.nii: value 3\.9\d*e\+38 at voxel \(1, 1, 0\) is beyond float32's range/);
});

test('an unsupported datatype or a wrong bitpix is named', () => {
  const complex = goodRaw();
  const view = new DataView(complex.buffer);
  view.setInt16(70, 32, true);
  view.setInt16(72, 64, true);
  assert.match(dataError(() => decodeNifti(complex, 'c.nii'), 'c.nii'), /unsupported datatype complex64 \(code 32\)/);
  const bitpix = goodRaw();
  new DataView(bitpix.buffer).setInt16(72, 8, true);
  assert.match(dataError(() => decodeNifti(bitpix, 'b.nii'), 'b.nii'), /bitpix 8 does not match datatype int16/);
});

test('writing keeps the source header and affine; values round-trip', () => {
  for (const name of ['int16-scaled', 'int16-bigendian', 'float32']) {
    const m = fixture.made.find((x) => x.name === name)!;
    const source = decodeNifti(bytesOf(m), name);
    const synthesized = Float32Array.from(source.data, (x, i) => x * 0.5 + i);
    const written = decodeNifti(encodeNifti(source.header, synthesized), `${name}-out.nii.gz`);
    assert.equal([...written.data], [...synthesized]);
    assertAffine(written.affine, source.affine, name);
    for (const key of ['dim', 'pixdim', 'qformCode', 'sformCode', 'quaternB', 'quaternC', 'quaternD', 'qoffsetX', 'srowX', 'srowZ', 'xyztUnits', 'descrip'] as const) {
      assert.equal(written.header[key], source.header[key], `${name}: ${key}`);
    }
    assert.is(headerDatatype(written.header).name, 'float32');
    assert.is(written.header.sclSlope, 1);
    assert.is(written.header.littleEndian, true);
  }
});

test('written files parse with nifti-reader-js, are deterministic, and integer types round and check range', () => {
  const m = fixture.made.find((x) => x.name === 'float32')!;
  const source = decodeNifti(bytesOf(m), m.name);
  const values = Float32Array.from(source.data, (x) => Math.max(-32768, Math.min(32767, x * 10)));
  const bytes = encodeNifti(source.header, values, { datatype: 'int16' });
  assert.equal(bytes, encodeNifti(source.header, values, { datatype: 'int16' }));
  const other = new NIFTI1();
  other.readHeader(gunzipSync(bytes).slice(0, 348).buffer);
  assert.equal(other.dims.slice(0, 4), [3, 5, 4, 3]);
  assert.is(other.datatypeCode, 4);
  assert.is(other.vox_offset, 352);
  assert.is(other.magic, 'n+1');
  assert.equal([...decodeNifti(bytes, 'int.nii.gz').data], [...values].map(Math.round));
  const plain = encodeNifti(source.header, values, { gzip: false });
  assert.is(plain.length, 352 + values.length * 4);
  assert.throws(() => encodeNifti(source.header, values.map((x) => x + 40000), { datatype: 'int16' }), /does not fit int16/);
  assert.throws(() => encodeNifti(source.header, values.subarray(1)), /59 values for dims 5x4x3/);
});

test.run();
