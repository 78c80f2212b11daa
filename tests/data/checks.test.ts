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

test('volumeProblems names non-finite voxels and a 4-D shape; a clean 3-D volume has none', () => {
  assert.equal(volumeProblems('a.nii', [2, 2, 2], new Float32Array(8)), []);
  assert.equal(volumeProblems('a.nii', [2, 2, 2, 1], new Float32Array(8)), []);
  const [fourD] = volumeProblems('a.nii', [2, 2, 2, 3], null);
  assert.match(fourD!, /^a\.nii: 4-D volume of shape 2x2x2x3/);
  const [nan] = volumeProblems('b.nii', [2, 2, 2], Float32Array.of(0, 1, NaN, Infinity, 0, 0, 0, 0));
  assert.match(nan!, /^b\.nii: 2 voxel\(s\) are NaN or infinite \(the first at index 2, value NaN\)/);
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
    assert.is(r.code, 3, r.out + r.err);
    assert.match(r.out, new RegExp(`${file}: 1 voxel\\(s\\) are NaN or infinite \\(the first at index 100`));
    assert.match(r.out.trim().split('\n').at(-1)!, /problem\(s\) found; train and eval refuse this dataset/);
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
