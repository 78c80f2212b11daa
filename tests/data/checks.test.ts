/**
 * Volumes unfit to train on are problems in `fedmed data inspect` (issue 16):
 * NaN and infinite voxels, more than three dimensions; inspect then exits 3
 * and says so on its last line. An empty folder is one line on stderr.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { affineTolerance, gridMismatch, subjectProblems, volumeProblems } from '../../data/checks.js';
import { readNiftiFile, writeNiftiFile } from '../../data/fs/index.js';
import { createHeader } from '../../data/index.js';
import { datatypeByName } from '../../data/nifti/datatype.js';
import { editVolume, fedmed, scratchDir, writeVolume } from '../cli/helpers.js';

test('volumeProblems names non-finite voxels (by their place in the volume) and a 4-D shape; a clean 3-D volume has none', () => {
  const whole = (data: Float32Array) => ({ data, zRange: [0, 2] as [number, number] });
  const clean = Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7);
  assert.equal(volumeProblems('a.nii', [2, 2, 2], whole(clean)), []);
  assert.equal(volumeProblems('a.nii', [2, 2, 2, 1], whole(clean)), []);
  const [fourD] = volumeProblems('a.nii', [2, 2, 2, 3], null);
  assert.match(fourD!, /^a\.nii: 4-D volume of shape 2x2x2x3/);
  const [nan] = volumeProblems('b.nii', [2, 2, 2], whole(Float32Array.of(0, 1, NaN, Infinity, 0, 1, 2, 3)));
  assert.match(nan!, /^b\.nii: 2 voxel\(s\) are NaN or infinite \(the first at voxel \(0, 1, 0\), value NaN\)/);
  // Planes 5 and 6 of a deeper volume: the voxel is named where it is in the volume.
  const [deep] = volumeProblems('c.nii', [2, 2, 9], { data: Float32Array.of(0, 1, 0, 0, 0, 1, 0, -Infinity), zRange: [5, 7] });
  assert.match(deep!, /^c\.nii: 1 voxel\(s\) are NaN or infinite \(the first at voxel \(1, 1, 6\), value -Infinity\)/);
});

for (const [label, bad] of [['NaN', NaN], ['infinite', Infinity]] as const) {
  test(`data inspect: a ${label} voxel outside the slice band is a note (exit 0), inside it a problem (exit 3)`, async () => {
    const dir = scratchDir('checks');
    assert.is(fedmed('data', 'phantom', '--out', dir, '--subjects', '2', '--size', '16').code, 0);
    const file = join('T1', readdirSync(join(dir, 'T1'))[0]!);
    await editVolume(join(dir, file), (values) => (values[100] = bad));
    const r = fedmed('data', 'inspect', dir);
    // Voxel 100 of a 16^3 volume is (4, 6, 0): plane 0, outside the phantom's slice band, so a note that training never reads it.
    assert.match(r.out, new RegExp(`notes \\(1\\):\n  ${join(dir, file)}: outside the slice band, 1 voxel\\(s\\) are NaN or infinite \\(the first at voxel \\(4, 6, 0\\), value ${bad}\\); training never reads those planes`));
    assert.match(r.out, /problems: none/);
    assert.is(r.code, 0, r.out + r.err);
    // Inside the band it is a problem: train and eval refuse the subject, and the last line says so.
    await editVolume(join(dir, file), (values) => {
      values[100] = 1;
      values[8 * 16 * 16 + 100] = bad;
    });
    const inBand = fedmed('data', 'inspect', dir);
    assert.is(inBand.code, 3, inBand.out + inBand.err);
    assert.match(inBand.out, new RegExp(`${file}: 1 voxel\\(s\\) are NaN or infinite \\(the first at voxel \\(4, 6, 8\\)`));
    assert.match(inBand.out.trim().split('\n').at(-1)!, /^fedmed: 1 problem\(s\) found; train and eval refuse each subject named \(for a file's problem, when they read that contrast\) unless --skip-bad-subjects leaves it out$/);
  });
}

test('train refuses a dataset with a NaN voxel, naming the file; --skip-bad-subjects trains without the subject, listing it on stderr and in skipped.json', async () => {
  const dir = scratchDir('checks-train');
  assert.is(fedmed('data', 'phantom', '--out', dir, '--subjects', '4', '--size', '16').code, 0);
  const file = join('T2', readdirSync(join(dir, 'T2'))[0]!);
  await editVolume(join(dir, file), (values) => (values[8 * 16 * 16] = NaN));
  const train = (out: string, ...extra: string[]) =>
    fedmed('train', '--data', dir, '--size', '32', '--width', '2', '--epochs', '1', '--test-fraction', '0.34', '--backend', 'js', '--out', out, ...extra);
  const refused = train(scratchDir('checks-run-refused'));
  assert.is(refused.code, 1, refused.out + refused.err);
  assert.match(refused.err, new RegExp(`${file}: 1 voxel\\(s\\) are NaN or infinite.*--skip-bad-subjects`));
  const runDir = join(scratchDir('checks-run'), 'run');
  const skipped = train(runDir, '--skip-bad-subjects');
  assert.is(skipped.code, 0, skipped.out + skipped.err);
  assert.match(skipped.err, new RegExp(`skipped IXI\\d+: .*${file}: 1 voxel`));
  const listed = JSON.parse(readFileSync(join(runDir, 'skipped.json'), 'utf8')) as string[];
  assert.is(listed.length, 1);
  assert.match(listed[0]!, /NaN or infinite/);
  // The checkpoint records it: eval of the run remakes its split without the subject, and says so.
  const id = /^(IXI\d+):/.exec(listed[0]!)![1]!;
  const scored = fedmed('eval', '--checkpoint', runDir, '--backend', 'js');
  assert.is(scored.code, 0, scored.err);
  assert.match(scored.err, new RegExp(`note: the run was trained with 1 subject left out \\(${id}\\), left out here too`));
  const json = JSON.parse(fedmed('eval', '--checkpoint', runDir, '--backend', 'js', '--json').out);
  assert.equal([json.trainedWithout, json.skipped], [[id], [id]]);
});

test('volumeProblems names constant planes of the band (blank slices), and a band that is all one value', () => {
  assert.equal(volumeProblems('a.nii', [2, 2, 9], { data: Float32Array.of(0, 1, 2, 3, 7, 7, 7, 7, 4, 5, 6, 7), zRange: [3, 6] }), [
    'a.nii: plane 4 of the slice band [3, 6) is constant: blank slices',
  ]);
  assert.equal(volumeProblems('z.nii', [2, 2, 9], { data: new Float32Array(8), zRange: [3, 5] }), [
    'z.nii: every plane of the slice band [3, 5) is constant (every voxel 0): a blank volume or band',
  ]);
});

test('gridMismatch: contrasts of one shape whose affines differ beyond the tolerance are a problem; float noise is not', () => {
  const eye = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  const volume = (contrast: string, affine: number[][]) => ({ contrast, path: `${contrast}.nii`, shape: [4, 4, 4], affine, band: null });
  const nudged = eye.map((row) => row.map((x) => x + affineTolerance / 2));
  assert.equal(subjectProblems('S', [volume('T1', eye), volume('T2', nudged)]), []);
  const flipped = [[-1, 0, 0, 3], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  assert.equal(gridMismatch('S', [volume('T1', eye), volume('T2', nudged), volume('PD', flipped)]), [
    "S: contrasts are not in the same voxel grid (affines differ: PD's differs from T1's by up to 3); slice z is not the same anatomy, resample them to one grid first",
  ]);
  // A shape mismatch says it already: one line, not two.
  assert.is(subjectProblems('S', [volume('T1', eye), { ...volume('T2', flipped), shape: [4, 4, 5] }]).length, 1);
});

test('a contrast flipped in storage with an affine that compensates is in another grid: inspect reports it, train refuses the subject', async () => {
  const dir = scratchDir('checks-grid');
  assert.is(fedmed('data', 'phantom', '--out', dir, '--subjects', '4', '--size', '16').code, 0);
  const file = join('T2', readdirSync(join(dir, 'T2')).sort()[0]!);
  const id = file.slice(3, 9);
  const volume = await readNiftiFile(join(dir, file));
  const [nx] = volume.shape as [number];
  const mirrored = Float32Array.from(volume.data, (_, i) => volume.data[i - (i % nx) + (nx - 1 - (i % nx))]!);
  // x' = nx-1-x: the same world positions need the first column negated and the origin moved to the far end.
  const affine = volume.affine.map((row) => [-row[0]!, row[1]!, row[2]!, row[3]! + row[0]! * (nx - 1)]);
  await writeNiftiFile(join(dir, file), createHeader({ shape: volume.shape, spacing: volume.spacing, affine, datatype: datatypeByName('float32') }), mirrored);
  const seen = fedmed('data', 'inspect', dir);
  assert.is(seen.code, 3, seen.out + seen.err);
  assert.match(seen.out, new RegExp(`\\n  ${id}: contrasts are not in the same voxel grid \\(affines differ: T2's differs from T1's by up to [\\d.]+\\)`));
  const refused = fedmed('train', '--data', dir, '--direction', 't1:t2', '--size', '32', '--width', '2', '--epochs', '1', '--backend', 'js', '--out', scratchDir('checks-grid-run'));
  assert.is(refused.code, 1, refused.out + refused.err);
  assert.match(refused.err, new RegExp(`subject ${id}: ${id}: contrasts are not in the same voxel grid.*--skip-bad-subjects`));
});

test('data inspect on an empty folder says so on stderr, and prints no report that would read as a usable dataset', () => {
  const r = fedmed('data', 'inspect', scratchDir('empty'));
  assert.is(r.code, 1);
  assert.match(r.err, /no subjects found/);
  assert.is(r.out, '');
});

test('data inspect on volumes no layout names lists them with the names expected; on a file it points to the commands for one volume', async () => {
  const dir = scratchDir('unnamed');
  const names = ['ch2.nii.gz', 'brain.nii', 'atlas.nii.gz', 'mask.nii.gz'];
  for (const name of names) await writeVolume(join(dir, name), [4, 4, 4], new Float32Array(64));
  const r = fedmed('data', 'inspect', dir);
  assert.is(r.code, 1);
  assert.is(r.err, `fedmed: ${dir}: no subjects found (no IXI or BraTS2021 volumes) (ignored: atlas.nii.gz, brain.nii, ch2.nii.gz and 1 more; IXI names are IXI<id>-<site>-<n>-T1.nii.gz, BraTS2021 ones BraTS2021_<id>/BraTS2021_<id>_t1.nii.gz)\n`);
  const file = fedmed('data', 'inspect', join(dir, 'ch2.nii.gz'));
  assert.is(file.code, 1);
  assert.match(file.err, /ch2\.nii\.gz: is not a folder \(a dataset is a folder of volumes; fedmed translate and metrics take one file\)\n$/);
});

test.run();
