/**
 * prepareOutFile, the check of --out before a command's work (translate,
 * latent, init): an existing file kept unless --force, a folder or a file in
 * the way refused in one line naming --out, missing folders made.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../cli/args.js';
import { prepareOutFile } from '../../cli/out-file.js';
import { scratchDir } from './helpers.js';

const dir = scratchDir('out-file');

async function refusal(out: string, force: boolean): Promise<string> {
  try {
    await prepareOutFile(out, force);
  } catch (e) {
    assert.instance(e, UsageError);
    return (e as Error).message;
  }
  throw new Error(`${out} was accepted`);
}

test('an existing file needs force; a folder at --out is refused even with force', async () => {
  const file = join(dir, 'a.svg');
  writeFileSync(file, 'keep');
  assert.is(await refusal(file, false), `--out ${file} exists; pass --force to replace it`);
  await prepareOutFile(file, true);
  const folder = join(dir, 'b.svg');
  mkdirSync(folder);
  assert.is(await refusal(folder, true), `--out ${folder} is a folder; name the file to write`);
});

test('a file where a folder of --out must be is named, however deep below it --out lies', async () => {
  const file = join(dir, 'pred.nii.gz');
  writeFileSync(file, 'a volume');
  for (const out of [join(file, 'x.nii.gz'), join(file, 'more', 'deeper', 'x.nii.gz')]) {
    assert.is(await refusal(out, true), `--out ${out}: ${file} is a file, not a folder`);
  }
  assert.ok(statSync(file).isFile());
});

test('missing folders are made before the work; the file itself is not written', async () => {
  const out = join(dir, 'new', 'deeper', 'x.svg');
  await prepareOutFile(out, false);
  assert.ok(statSync(join(dir, 'new', 'deeper')).isDirectory());
  assert.not.ok(existsSync(out));
});

test.run();
