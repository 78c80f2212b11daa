/**
 * Volumes unfit to train on are problems in `fedmed data inspect` (issue 16):
 * NaN and infinite voxels, more than three dimensions; inspect then exits 3
 * and says so on its last line. An empty folder is one line on stderr.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { volumeProblems } from '../../data/checks.js';
import { fedmed, scratchDir, writeVolume } from '../cli/helpers.js';

test('volumeProblems names non-finite voxels (by their place in the volume) and a 4-D shape; a clean 3-D volume has none', () => {
  const whole = (data: Float32Array) => ({ data, zRange: [0, 2] as [number, number] });
  assert.equal(volumeProblems('a.nii', [2, 2, 2], whole(new Float32Array(8))), []);
  assert.equal(volumeProblems('a.nii', [2, 2, 2, 1], whole(new Float32Array(8))), []);
  const [fourD] = volumeProblems('a.nii', [2, 2, 2, 3], null);
  assert.match(fourD!, /^a\.nii: 4-D volume of shape 2x2x2x3/);
  const [nan] = volumeProblems('b.nii', [2, 2, 2], whole(Float32Array.of(0, 1, NaN, Infinity, 0, 0, 0, 0)));
  assert.match(nan!, /^b\.nii: 2 voxel\(s\) are NaN or infinite \(the first at voxel \(0, 1, 0\), value NaN\)/);
  // Planes 5 and 6 of a deeper volume: the voxel is named where it is in the volume.
  const [deep] = volumeProblems('c.nii', [2, 2, 9], { data: Float32Array.of(0, 0, 0, 0, 0, 0, 0, -Infinity), zRange: [5, 7] });
  assert.match(deep!, /^c\.nii: 1 voxel\(s\) are NaN or infinite \(the first at voxel \(1, 1, 6\), value -Infinity\)/);
});

for (const [label, bad] of [['NaN', NaN], ['infinite', Infinity]] as const) {
  test(`data inspect reports a volume with a ${label} voxel as a problem and exits 3`, async () => {
    const dir = scratchDir('checks');
    assert.is(fedmed('data', 'phantom', '--out', dir, '--subjects', '2', '--size', '16').code, 0);
    const file = join('T1', readdirSync(join(dir, 'T1'))[0]!);
    const values = new Float32Array(16 * 16 * 16).fill(1);
    values[100] = bad;
    await writeVolume(join(dir, file), [16, 16, 16], values);
    const r = fedmed('data', 'inspect', dir);
    // Voxel 100 of a 16^3 volume is (4, 6, 0): plane 0, outside the phantom's slice band, so a note that training never reads it.
    assert.match(r.out, new RegExp(`notes \\(1\\):\n  ${file}: outside the slice band, 1 voxel\\(s\\) are NaN or infinite \\(the first at voxel \\(4, 6, 0\\), value ${bad}\\); training never reads those planes`));
    assert.match(r.out, /problems: none/);
    assert.is(r.code, 0, r.out + r.err);
    // Inside the band it is a problem: train and eval refuse the subject, and the last line says so.
    values[100] = 1;
    values[8 * 16 * 16 + 100] = bad;
    await writeVolume(join(dir, file), [16, 16, 16], values);
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
  const values = new Float32Array(16 * 16 * 16).fill(0.5);
  values[8 * 16 * 16] = NaN;
  await writeVolume(join(dir, file), [16, 16, 16], values);
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

test('data inspect on an empty folder says so on stderr, and prints no report that would read as a usable dataset', () => {
  const r = fedmed('data', 'inspect', scratchDir('empty'));
  assert.is(r.code, 1);
  assert.match(r.err, /no subjects found/);
  assert.is(r.out, '');
});

test.run();
