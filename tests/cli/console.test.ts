/**
 * A quiet, truthful console: results on stdout, progress and errors on
 * stderr, and none of Dawn's own warnings unless --verbose. Run the way a
 * shell runs the command (stdout and stderr files, see helpers/spawn.ts).
 * Where Dawn finds an adapter here (lavapipe), --verbose shows that the
 * warnings exist and are really being held back.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodes } from '../../cli/exit-codes.js';
import { repoRoot } from '../helpers/sources.js';
import { runToFiles } from '../helpers/spawn.js';
import { scratchDir } from './helpers.js';

const main = fileURLToPath(new URL('../../cli/main.js', import.meta.url)); // dist/cli/main.js
const dawnWarning = /artificially reduced|Couldn't load|vkCreateInstance|Warning:/;
const fedmed = (...args: string[]) => runToFiles(process.execPath, [main, ...args], { timeout: 300_000 });

test('fedmed info: results on stdout, nothing on stderr; --verbose lets Dawn speak', () => {
  const info = fedmed('info');
  assert.is(info.status, 0, info.stderr);
  assert.is(info.stderr, '');
  assert.match(info.stdout, /auto picks: /);
  const verbose = fedmed('info', '--verbose');
  assert.is(verbose.status, 0, verbose.stderr);
  if (/webgpu +WGSL kernels on llvmpipe/.test(verbose.stdout)) assert.match(verbose.stderr, /artificially reduced/);
  else console.log(`  (no lavapipe adapter here: --verbose shows ${JSON.stringify(verbose.stderr.slice(0, 80))})`);
});

test('fedmed info --json and privacy --json: stdout is exactly one JSON document', () => {
  for (const args of [['info', '--json'], ['privacy', '--noise', '1.1', '--q', '0.01', '--steps', '100', '--json']]) {
    const run = fedmed(...args);
    assert.is(run.status, 0, run.stderr);
    assert.not.throws(() => JSON.parse(run.stdout), `fedmed ${args.join(' ')} printed: ${run.stdout.slice(0, 200)}`);
    assert.is(run.stderr, '');
  }
});

test('stdout closed early (fedmed --help | true): exit 141 as SIGPIPE would end it, no EPIPE stack on stderr', async () => {
  const child = spawn(process.execPath, [main, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // the reader is gone before the first line
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.is(stderr, '');
  assert.is(status, 141);
});

test("README's exit-status list names every status fedmed exits with (141 was left out)", () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const list = /\*\*Exit status\*\*:([^]*?)Each command's `--help` lists them/.exec(readme)?.[1];
  assert.ok(list, 'README has its exit-status list');
  for (const [name, code] of Object.entries(exitCodes)) assert.ok(new RegExp(`(^|[^\\d])${code}([^\\d]|$)`).test(list!), `README's list lacks ${code} (${name})`);
});

test('a tiny main job (auto backend; fresh weights, as its public generators are width 8): rounds and the report on stdout, progress only on stderr, no Dawn', () => {
  const out = scratchDir('console');
  const run = fedmed('train', '--config', fileURLToPath(new URL('../../../configs/main.json', import.meta.url)), '--subjects', '5', '--phantom-size', '32', '--size', '32', '--width', '2', '--clients', '2', '--scheme', 'average', '--rounds', '1', '--local-epochs', '1', '--start-from', '', '--out', out);
  assert.is(run.status, 0, run.stderr);
  assert.not.match(run.stderr, dawnWarning);
  for (const line of run.stderr.split('\n').filter(Boolean)) assert.match(line, /img\/s +ETA /, `not a progress line on stderr: ${line}`);
  assert.match(run.stdout, /PSNR/);
  assert.match(run.stdout, /report: .*report\.html/);
  assert.not.match(run.stdout, /ETA /);
});

test.run();
