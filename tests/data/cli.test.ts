import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNiftiFile } from '../../data/fs/index.js';
import { fedmed, fedmedWithFullDisk, scratchDir } from '../cli/helpers.js';

const scratch = scratchDir('cli');

test('fedmed data phantom writes what it says, and inspect reads it back', () => {
  const out = join(scratch, 'ph');
  const made = fedmed('data', 'phantom', '--out', out, '--subjects', '3', '--size', '16', '--layout', 'brats');
  assert.is(made.code, 0, made.err);
  assert.match(made.out, /phantom: 3 subjects, 16\^3 voxels of 15 mm, BraTS2021 layout, seed 3, with lesions/);
  assert.match(made.out, /wrote 12 volumes \(int16, [\d.]+ MB\) and fedmed-phantom.json/);
  assert.match(made.out, /BraTS2021_00001\/BraTS2021_00001_t1.nii.gz/);
  const seen = fedmed('data', 'inspect', out);
  assert.is(seen.code, 0, seen.err);
  assert.match(seen.out, /fedmed phantom \(seed 3, 16\^3\), 3 subjects/);
  assert.match(seen.out, /contrasts: T1 \(3\), T1CE \(3\), T2 \(3\), FLAIR \(3\)/);
  assert.match(seen.out, /sites: +Guys \(1\), HH \(1\), IOP \(1\)/);
  assert.match(seen.out, /T2 +shape 16x16x16 +voxel 15x15x15 mm +int16 +intensities \d+ to \d+/);
  assert.match(seen.out, /problems: none/);
  const json = JSON.parse(fedmed('data', 'inspect', out, '--json', '--quick').out) as { subjects: unknown[]; layout: string };
  assert.is(json.subjects.length, 3);
  assert.is(json.layout, 'brats');
});

test('inspect holds a phantom to its marker: a volume it names but the folder lacks is a problem (exit 3), one it does not name a note', () => {
  const out = join(scratch, 'ph-incomplete');
  assert.is(fedmed('data', 'phantom', '--out', out, '--subjects', '2', '--size', '16').code, 0);
  const lost = join(out, 'T2', readdirSync(join(out, 'T2')).sort()[0]!);
  rmSync(lost);
  const stranger = join(out, 'PD', 'IXI777-Guys-9999-PD.nii.gz');
  copyFileSync(join(out, 'PD', readdirSync(join(out, 'PD')).sort()[0]!), stranger);
  const seen = fedmed('data', 'inspect', out, '--quick');
  assert.is(seen.code, 3, seen.err);
  assert.ok(seen.out.includes(`problems (1):\n  ${lost}: missing; fedmed-phantom.json names it, so the phantom is incomplete (remake it: fedmed data phantom --out ${out} --force, with the options it records)\n`), seen.out);
  assert.ok(seen.out.includes(`notes (1):\n  ${stranger}: not one of the phantom's volumes (fedmed-phantom.json); read as data all the same\n`), seen.out);
});

test('fedmed data: help from the flag specs, usage errors exit 2, data errors exit 1 with one line', () => {
  const help = fedmed('data', 'phantom', '--help');
  assert.is(help.code, 0);
  assert.match(help.out, /--subjects INT +number of subjects \(default 40\)/);
  assert.match(fedmed('data', 'inspect', '--help').out, /--quick/);
  assert.match(fedmed('data', '--help').out, /phantom +write the multi-contrast brain phantom/);
  const noOut = fedmed('data', 'phantom');
  assert.is(noOut.code, 2);
  assert.is(noOut.err.trim(), 'fedmed: fedmed data phantom needs --out DIR');
  assert.is(fedmed('data', 'phantom', '--out', scratch, '--layout', 'nifti').code, 2);
  assert.is(fedmed('data', 'inspekt').code, 2);
  const missing = fedmed('data', 'inspect', join(scratch, 'nowhere'));
  assert.is(missing.code, 1);
  assert.is(missing.err.trim().split('\n').length, 1);
  assert.match(missing.err, /nowhere: no such folder/);
  const busy = fedmed('data', 'phantom', '--out', join(scratch, 'ph'), '--subjects', '1', '--size', '8');
  assert.is(busy.code, 2, 'a taken output folder is a usage error, as for every command');
  assert.match(busy.err, /^fedmed: .*ph: is not empty \(\d+ files\); .* pass --force/);
  assert.match(fedmed('data', 'phantom', '--help').out, /--force +replace the phantom in --out: first removes the files its fedmed-phantom.json names/);
});

test('data phantom --force replaces an earlier phantom wholly, and removes nothing a phantom did not write', () => {
  const out = join(scratch, 'again');
  assert.is(fedmed('data', 'phantom', '--out', out, '--subjects', '3', '--size', '16').code, 0);
  const hidden = join(out, '.notes');
  writeFileSync(hidden, 'the user keeps notes here');
  const again = fedmed('data', 'phantom', '--out', out, '--subjects', '2', '--size', '8', '--force');
  assert.is(again.code, 0, again.err);
  const t1 = readdirSync(join(out, 'T1'));
  assert.equal(t1, ['IXI001-Guys-1001-T1.nii.gz', 'IXI002-HH-1002-T1.nii.gz'], 'only the new phantom\'s subjects');
  assert.ok(existsSync(hidden), 'a hidden file is no dataset file and is left alone');
  const seen = fedmed('data', 'inspect', out, '--quick');
  assert.match(seen.out, /fedmed phantom \(seed 3, 8\^3\), 2 subjects/);
  assert.match(seen.out, /shape 8x8x8 +voxel/);
  // From brats to ixi: the old layout's folders go too.
  assert.is(fedmed('data', 'phantom', '--out', out, '--subjects', '1', '--size', '8', '--layout', 'brats', '--force').code, 0);
  assert.equal(readdirSync(out).sort(), ['.notes', 'BraTS2021_00001', 'fedmed-phantom.json']);
  // A file no phantom wrote is never removed: the folder is refused, untouched.
  const stranger = join(out, 'BraTS2021_00001', 'BraTS2021_00001_seg.nii.gz');
  writeFileSync(stranger, 'a segmentation the user added');
  const refused = fedmed('data', 'phantom', '--out', out, '--subjects', '1', '--size', '8', '--force');
  assert.is(refused.code, 2);
  assert.match(refused.err, /^fedmed: .*again: holds BraTS2021_00001\/BraTS2021_00001_seg.nii.gz, which no fedmed phantom wrote; .*\n$/);
  assert.ok(existsSync(stranger) && existsSync(join(out, 'BraTS2021_00001', 'BraTS2021_00001_t1.nii.gz')), 'nothing removed');
});

test('data phantom under /proc or /sys is refused at once with one line', () => {
  for (const out of ['/proc/fedmed-phantom', '/sys/fedmed-phantom']) {
    const r = fedmed('data', 'phantom', '--out', out, '--subjects', '2', '--size', '16');
    assert.is(r.code, 1);
    assert.match(r.err, /^fedmed: \/(proc|sys)\/fedmed-phantom: is under \/(proc|sys), a kernel file system; choose a folder on a disk\n$/);
  }
});

test('data phantom on a full disk exits 74 naming the file, and leaves no torn file under a final name', async () => {
  const out = join(scratch, 'full');
  // A subject's three volumes are about 130 kB: the first subject a thread writes fits, its second does not.
  const r = fedmedWithFullDisk(200_000, 'data', 'phantom', '--out', out, '--subjects', '6', '--size', '32');
  assert.is(r.code, 74, r.err);
  assert.match(r.err, /^fedmed: .*full\/(T1|T2|PD)\/IXI\d+-\w+-\d+-(T1|T2|PD)\.nii\.gz: cannot write: no space left on the device \(ENOSPC\)\n$/);
  const written = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.nii.gz'));
  assert.ok(written.length >= 3, `the first subject's files fitted and were written, got ${written.length}`);
  for (const e of written) await readNiftiFile(join(e.parentPath ?? e.path, e.name)); // whole, or it throws naming the file
  // The marker went first, so --force can prove the half-written files a phantom's and finish the folder.
  const again = fedmed('data', 'phantom', '--out', out, '--subjects', '6', '--size', '32', '--force');
  assert.is(again.code, 0, again.err);
  assert.is(readdirSync(join(out, 'PD')).length, 6);
});

test.run();
