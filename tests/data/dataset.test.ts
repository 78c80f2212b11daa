import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'fflate';
import { phantomDataset, skippedLine, subjectSlice, type SliceDataset } from '../../data/dataset.js';
import { DataError } from '../../data/errors.js';
import { listFiles } from '../../data/fs/discover.js';
import { inspectDataset } from '../../data/fs/inspect.js';
import { loadDataset } from '../../data/fs/load.js';
import { readNiftiFile, writeNiftiFile } from '../../data/fs/nifti.js';
import { createHeader } from '../../data/nifti/header.js';
import { datatypeByName } from '../../data/nifti/datatype.js';
import { writePhantom } from '../../data/fs/phantom.js';
import { FolderTakenError } from '../../store/folder.js';

const scratch = mkdtempSync(join(tmpdir(), 'fedmed-data-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

function sameSlices(a: SliceDataset, b: SliceDataset, what: string) {
  assert.is(a.subjects.length, b.subjects.length, what);
  a.subjects.forEach((s, i) => {
    const t = b.subjects[i]!;
    assert.is(s.site, t.site, `${what}: site of subject ${i}`);
    assert.equal(s.z, t.z);
    for (const c of a.contrasts) {
      const x = s.slices[c]!, y = t.slices[c]!;
      assert.is(x.length, y.length);
      for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) assert.unreachable(`${what}: ${c} of subject ${i} differs at ${k}: ${x[k]} vs ${y[k]}`);
    }
  });
}

test('the phantom written as NIfTI (IXI layout) and read back gives the in-memory slices exactly', async () => {
  const phantom = { subjects: 4, size: 32, seed: 8 };
  const root = join(scratch, 'ixi');
  const written = await writePhantom(root, { ...phantom, layout: 'ixi', workers: 2 });
  assert.is(written.files.length, 12);
  assert.ok(written.files.includes('T2/IXI002-HH-1002-T2.nii.gz'), written.files.join(' '));
  const fromFiles = await loadDataset({ root, contrasts: ['PD', 'T2'], size: 24 });
  const inMemory = await loadDataset({ phantom, contrasts: ['PD', 'T2'], size: 24 });
  assert.is(fromFiles.source, 'phantom');
  assert.equal(fromFiles.sliceRange, [13, 20]); // [50, 80) of 128 scaled to 32
  assert.equal(fromFiles.subjects.map((s) => s.id), ['IXI001', 'IXI002', 'IXI003', 'IXI004']);
  assert.equal(inMemory.subjects.map((s) => s.id), ['P001', 'P002', 'P003', 'P004']);
  sameSlices(inMemory, fromFiles, 'ixi');
  for (const s of inMemory.subjects) {
    const slice = subjectSlice(s, 'T2', 3);
    assert.is(slice.length, 24 * 24);
    assert.is(Math.min(...slice), 0);
    assert.ok(Math.abs(Math.max(...slice) - 1) < 1e-6);
  }
});

test('the BraTS layout carries t1, t1ce, t2, flair; sites come back from the manifest; one worker gives the same files', async () => {
  const phantom = { subjects: 3, size: 16, seed: 2 };
  const root = join(scratch, 'brats');
  const written = await writePhantom(root, { ...phantom, layout: 'brats', workers: 1 });
  assert.ok(written.options.lesions, 'lesions by default in the BraTS layout');
  assert.ok(written.files.includes('BraTS2021_00003/BraTS2021_00003_t1ce.nii.gz'));
  const fromFiles = await loadDataset({ root, contrasts: ['T1', 'FLAIR'], size: 16 });
  const inMemory = phantomDataset({ ...phantom, lesions: true }, { contrasts: ['T1', 'FLAIR'], size: 16 });
  sameSlices(inMemory, fromFiles, 'brats');
  const again = join(scratch, 'brats2');
  await writePhantom(again, { ...phantom, layout: 'brats', workers: 3 });
  assert.equal(readFileSync(join(again, written.files[5]!)), readFileSync(join(root, written.files[5]!)));
  const volume = await readNiftiFile(join(root, written.files[0]!));
  assert.equal(volume.shape, [16, 16, 16]);
  assert.equal(volume.spacing, [15, 15, 15]);
  assert.equal(volume.affine[0], [15, 0, 0, -112.5]);
});

test('writePhantom refuses a folder that is not empty, and with force one holding files no phantom wrote', async () => {
  const root = join(scratch, 'full');
  mkdirSync(root);
  writeFileSync(join(root, 'keep.txt'), 'mine');
  for (const force of [false, true]) {
    try {
      await writePhantom(root, { subjects: 1, size: 8, force });
      assert.unreachable('should refuse');
    } catch (e) {
      assert.instance(e, FolderTakenError);
      assert.match((e as Error).message, force ? /holds keep.txt, which no fedmed phantom wrote/ : /is not empty \(1 file\); choose a new folder, or pass --force/);
    }
  }
  assert.is(readFileSync(join(root, 'keep.txt'), 'utf8'), 'mine');
});

test('loadDataset refuses a subject with an unreadable file or a problem, naming it; with skipBadSubjects it skips them (and subjects missing a contrast always), saying why', async () => {
  const root = join(scratch, 'broken');
  await writePhantom(root, { subjects: 5, size: 16, seed: 1, layout: 'ixi' });
  rmSync(join(root, 'PD/IXI002-HH-1002-PD.nii.gz'));
  const t2 = join(root, 'T2/IXI003-IOP-1003-T2.nii.gz');
  writeFileSync(t2, readFileSync(t2).subarray(0, 300)); // truncated gzip
  // IXI004's T2 replaced by a volume with too few planes for the slice range [6, 10).
  const shallow = (await readNiftiFile(join(root, 'T2/IXI004-Guys-1004-T2.nii.gz'), { zRange: [0, 4] })).header;
  const { encodeNifti } = await import('../../data/nifti/encode.js');
  writeFileSync(join(root, 'T2/IXI004-Guys-1004-T2.nii.gz'), encodeNifti({ ...shallow, dim: [3, 16, 16, 4, 1, 1, 1, 1] }, new Float32Array(16 * 16 * 4)));
  // IXI005's PD holds a NaN voxel inside the slice range.
  const pd5 = join(root, 'PD/IXI005-HH-1005-PD.nii.gz');
  const clean = await readNiftiFile(pd5);
  const poisoned = Float32Array.from(clean.data);
  poisoned[7 * 16 * 16 + 3] = NaN;
  writeFileSync(pd5, encodeNifti(clean.header, poisoned));
  try {
    await loadDataset({ root, contrasts: ['PD', 'T2'], size: 16 });
    assert.unreachable('a truncated file was trained on');
  } catch (e) {
    assert.instance(e, DataError);
    assert.match((e as Error).message, /subject IXI003: .*IXI003-IOP-1003-T2\.nii\.gz: truncated gzip data.*; --skip-bad-subjects leaves such subjects out/);
  }
  const d = await loadDataset({ root, contrasts: ['PD', 'T2'], size: 16, skipBadSubjects: true });
  assert.equal(d.subjects.map((s) => s.id), ['IXI001']);
  assert.is(d.skipped.length, 4);
  const lines = d.skipped.map(skippedLine).join('\n');
  assert.match(lines, /IXI005: .*IXI005-HH-1005-PD\.nii\.gz: 1 voxel\(s\) are NaN or infinite/);
  assert.match(skippedLine(d.skipped[0]!), /^IXI002: no PD$/);
  assert.match(lines, /IXI003: .*IXI003-IOP-1003-T2\.nii\.gz: truncated gzip data/);
  assert.match(lines, /IXI004: .*planes \[6, 10\) asked for, but the volume has 4 along its third axis/);
  const report = await inspectDataset(root);
  assert.is(report.subjects.length, 5);
  assert.equal(report.subjects.find((s) => s.id === 'IXI002')!.missing, ['PD']);
  assert.match(report.problems.join('\n'), /IXI003-IOP-1003-T2\.nii\.gz: truncated gzip data/);
  assert.match(report.problems.join('\n'), /IXI004: contrasts differ in shape/);
  assert.match(report.problems.join('\n'), /IXI004-Guys-1004-T2\.nii\.gz: 4 planes along the third axis; the slice range \[6, 10\) needs 10/);
  const t1 = report.subjects[0]!.volumes.find((v) => v.contrast === 'T1')!;
  assert.equal(t1.shape, [16, 16, 16]);
  assert.is(t1.datatype, 'int16');
  assert.ok(t1.min! >= 0 && t1.max! > t1.min!);
});

test('a subject with two files of a contrast is refused (which is meant is unknown), or left out with skipBadSubjects; inspect lists it as a problem', async () => {
  const root = join(scratch, 'duplicate');
  await writePhantom(root, { subjects: 3, size: 16, seed: 1, layout: 'ixi' });
  // A stray copy at the top level sorts before T2/ and would otherwise be the one read.
  writeFileSync(join(root, 'IXI002-HH-9999-T2.nii.gz'), readFileSync(join(root, 'T2/IXI002-HH-1002-T2.nii.gz')));
  const line = 'IXI002: two T2 files (IXI002-HH-9999-T2.nii.gz, T2/IXI002-HH-1002-T2.nii.gz)'; // as inspect and skipped.json show it
  try {
    await loadDataset({ root, contrasts: ['PD', 'T2'], size: 16 });
    assert.unreachable('a subject with two T2 files was trained on');
  } catch (e) {
    assert.instance(e, DataError);
    assert.is((e as Error).message, `${root}: subject ${line}; --skip-bad-subjects leaves such subjects out, listing them`);
  }
  const d = await loadDataset({ root, contrasts: ['PD', 'T2'], size: 16, skipBadSubjects: true });
  assert.equal(d.subjects.map((s) => s.id), ['IXI001', 'IXI003']);
  assert.equal(d.skipped.map(skippedLine), [line]);
  assert.equal((await inspectDataset(root)).problems, [line]);
});

test('with skipBadSubjects, a folder where no subject can be used is one line naming the first problem', async () => {
  const root = join(scratch, 'all-bad');
  await writePhantom(root, { subjects: 3, size: 16, seed: 1, layout: 'ixi' });
  rmSync(join(root, 'PD/IXI001-Guys-1001-PD.nii.gz'));
  for (const file of ['T2/IXI002-HH-1002-T2.nii.gz', 'T2/IXI003-IOP-1003-T2.nii.gz']) writeFileSync(join(root, file), readFileSync(join(root, file)).subarray(0, 300));
  try {
    await loadDataset({ root, contrasts: ['PD', 'T2'], size: 16, skipBadSubjects: true });
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, DataError);
    assert.match((e as Error).message, /all-bad: none of the 2 subjects with PD, T2 could be used, and 1 more lacks a contrast; the first: IXI002: .*IXI002-HH-1002-T2\.nii\.gz: truncated gzip data/);
    assert.not.match((e as Error).message, /object/);
  }
});

test('folders reached through links are read, each once: a link cycle ends', async () => {
  const real = join(scratch, 'linked-real');
  await writePhantom(real, { subjects: 3, size: 16, seed: 1, layout: 'ixi' });
  const root = join(scratch, 'linked');
  mkdirSync(root);
  for (const c of ['T1', 'T2', 'PD']) symlinkSync(join(real, c), join(root, c));
  symlinkSync(root, join(root, 'T1', 'loop')); // T1/loop leads back to the root
  const files = await listFiles(root);
  assert.equal(files.filter((f) => f.endsWith('.nii.gz')).length, 9, files.join(' '));
  assert.ok(!files.some((f) => f.startsWith('T1/loop')), files.join(' '));
  const d = await loadDataset({ root, contrasts: ['PD', 'T2'], size: 16, sliceRange: [6, 10] }); // the manifest, which holds the band, is not linked
  assert.equal(d.subjects.map((s) => s.id), ['IXI001', 'IXI002', 'IXI003']);
});

test('loadDataset on a folder with nothing usable is one clear error', async () => {
  const root = join(scratch, 'empty-ish');
  mkdirSync(root);
  writeFileSync(join(root, 'notes.txt'), 'hello');
  writeFileSync(join(root, 'scan.nii.gz'), gzipSync(new Uint8Array(10)));
  try {
    await loadDataset({ root, contrasts: ['T1', 'T2'] });
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, DataError);
    assert.match((e as Error).message, /: no subject has all of T1, T2 \(0 subjects found in the ixi layout\) \(ignored: scan\.nii\.gz; IXI names are IXI<id>-<site>-<n>-T1\.nii\.gz, BraTS2021 ones BraTS2021_<id>\/BraTS2021_<id>_t1\.nii\.gz\)$/);
  }
  try {
    await loadDataset({ root: join(scratch, 'nowhere'), contrasts: ['T1'] });
    assert.unreachable('should fail');
  } catch (e) {
    assert.match((e as Error).message, /nowhere: no such folder$/);
  }
});

test('files on disk: .nii and .nii.gz (any case) written and read back, whole or by planes; a short .nii is named', async () => {
  const header = createHeader({ shape: [6, 5, 4], spacing: [1, 1, 2], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]], datatype: datatypeByName('float32') });
  const values = Float32Array.from({ length: 120 }, (_, i) => i * 0.25 - 7);
  for (const name of ['v.nii', 'v.nii.gz', 'V.NII.GZ']) {
    const path = join(scratch, 'files', name);
    await writeNiftiFile(path, header, values);
    const magic = readFileSync(path).subarray(0, 2);
    assert.is(magic[0] === 0x1f && magic[1] === 0x8b, /\.gz$/i.test(name), `${name}: gzip magic`);
    assert.equal([...(await readNiftiFile(path)).data], [...values], name);
    const planes = await readNiftiFile(path, { zRange: [2, 4] });
    assert.equal([...planes.data], [...values.subarray(60)], `${name} planes 2-3`);
  }
  const short = join(scratch, 'files', 'short.nii');
  writeFileSync(short, readFileSync(join(scratch, 'files', 'v.nii')).subarray(0, 400));
  try {
    await readNiftiFile(short);
    assert.unreachable('should fail');
  } catch (e) {
    assert.match((e as Error).message, /short\.nii: dims 6x5x4 float32 need 832 bytes but the file has 400$/);
  }
});

test.run();
