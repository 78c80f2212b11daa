/** fedmed experiment's command line: --help names every experiment and scale and counts the cells as the grids do, and a wrong NAME or scale, or an --out that is not fedmed's, is one line and exit 2. */
import { readdirSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { experimentNames, experiments, type ExperimentName } from '../../experiment/grids.js';
import { scaleFor, scaleNames, scales } from '../../experiment/scales.js';
import { everyBackend, testOn } from '../helpers/backends.js';
import { fedmed, scratchDir } from '../cli/helpers.js';

test('--help lists every experiment and every scale', () => {
  const r = fedmed('experiment', '--help');
  assert.is(r.code, 0);
  for (const name of [...experimentNames, ...scaleNames]) assert.match(r.out, new RegExp(`^  ${name} `, 'm'));
});

test("--help's cell counts are the grids' on the phantom", () => {
  const cpu = fedmed('experiment', '--help').out.split('\n').find((l) => l.startsWith('  cpu '))!;
  const counts = [...cpu.matchAll(/(\w+) \((\d+) cells/g)];
  assert.ok(counts.length > 0, cpu);
  for (const [, name, count] of counts) {
    const cells = experiments[name as ExperimentName].cells({ scale: scaleFor(scales.cpu, name as ExperimentName), kinds: ['ixi', 'brats'] });
    assert.is(Number(count), cells.length, name);
  }
});

for (const [args, message] of [
  [['experiment', 'tables', '--scale', 'tiny'], /^fedmed: unknown experiment 'tables'; choose one of models, partitions, dp, rounds, discriminators, epsilon\n$/],
  [['experiment', 'dp', '--scale', 'huge'], /^fedmed: --scale is one of tiny\|cpu\|paper, got 'huge'\n$/],
  [['experiment', 'dp'], /^fedmed: --scale is required/],
  [['experiment', '--scale', 'tiny'], /^fedmed: fedmed experiment needs a NAME/],
] as const) {
  test(`fedmed ${args.join(' ')}: one line, exit 2`, () => {
    const r = fedmed(...args);
    assert.is(r.code, 2);
    assert.match(r.err, message);
    assert.is(r.err.trim().split('\n').length, 1);
  });
}

test('--out holding what fedmed did not write is refused before any cell trains, one line, exit 2, the folder left as it was', () => {
  const out = scratchDir('experiment-foreign');
  writeFileSync(`${out}/thesis.txt`, 'mine');
  const r = fedmed('experiment', 'dp', '--scale', 'tiny', '--backend', 'js', '--out', out);
  assert.is(r.code, 2, r.err);
  assert.is(r.err, `fedmed: ${out}: holds thesis.txt, not a fedmed experiment dp; give a new or empty folder (fedmed never writes over files it cannot prove its own, --force or not)\n`);
  assert.equal(readdirSync(out), ['thesis.txt']);
});

testOn(everyBackend.find((b) => b.label === 'webgpu')!, 'experiment --workers 2 is refused once, before any cell trains (one GPU device per process)', () => {
  const out = `${scratchDir('experiment-workers')}/dp`;
  const r = fedmed('experiment', 'dp', '--scale', 'tiny', '--backend', 'webgpu', '--workers', '2', '--out', out);
  assert.is(r.code, 2);
  assert.match(r.err, /^fedmed: --workers 2: webgpu trains in one process/m);
  assert.not.match(r.err, /cell 1 of/);
});

test.run();
