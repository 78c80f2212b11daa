#!/usr/bin/env node
// Runs the compiled uvu suites (dist/tests, or the folders/files given) and
// ends with one summary line, "tests: N passed, N failed, N skipped", that CI
// reads. Exits non-zero when anything failed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const targets = process.argv.slice(2).length ? process.argv.slice(2) : ['tests'];
let passed = 0, total = 0, skipped = 0, failedRuns = 0;

for (const target of targets) {
  const rel = target.replace(/^dist\//, '').replace(/\.ts$/, '.js');
  const dir = path.join('dist', rel.endsWith('.js') ? path.dirname(rel) : rel);
  const pattern = rel.endsWith('.js') ? path.basename(rel).replace(/\./g, '\\.') + '$' : '\\.test\\.js$';
  const out = await run(process.execPath, [path.join(root, 'node_modules/uvu/bin.js'), dir, pattern, '--color=false'], root);
  const count = (label) => Number(out.text.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
  total += count('Total');
  passed += count('Passed');
  skipped += count('Skipped');
  if (out.code !== 0 && count('Total') === count('Passed')) failedRuns++; // crashed outside a test
}

const failed = total - passed + failedRuns; // uvu's Total leaves out skipped tests
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || total === 0 ? 1 : 0);

function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        text += chunk;
        (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
      });
    }
    child.on('close', (code) => resolve({ code, text }));
  });
}
