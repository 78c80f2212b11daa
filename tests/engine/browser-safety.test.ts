/**
 * engine/ must run unchanged in a browser: its sources import only relative
 * paths inside engine/ or kernels/, no `node:` module, no Node-only package
 * (fs, webgpu, ...), and use no Node globals.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot as root, sourcesUnder, specifiers } from '../helpers/sources.js';

const nodeGlobals = /\b(?:process\.|Buffer\b|__dirname\b|__filename\b|require\s*\()/;

/** What is wrong with `file`'s imports and globals, one line each. */
function problems(file: string, source: string): string[] {
  const out: string[] = [];
  const allowed = [path.join(root, 'engine'), path.join(root, 'kernels')];
  for (const spec of specifiers(source)) {
    if (!spec.startsWith('./') && !spec.startsWith('../')) {
      out.push(`${path.relative(root, file)} imports '${spec}': only relative imports are allowed in engine/`);
      continue;
    }
    const target = path.resolve(path.dirname(file), spec);
    if (!allowed.some((dir) => target.startsWith(dir + path.sep))) out.push(`${path.relative(root, file)} imports '${spec}', outside engine/ and kernels/`);
    if (!spec.endsWith('.js')) out.push(`${path.relative(root, file)} imports '${spec}' without the .js a browser needs`);
  }
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may mention anything
  const global = code.match(nodeGlobals);
  if (global) out.push(`${path.relative(root, file)} uses the Node global '${global[0]}'`);
  return out;
}

test('the checker catches what it must', () => {
  const file = path.join(root, 'engine', 'probe.ts');
  assert.is(problems(file, "import fs from 'node:fs';").length, 1);
  assert.is(problems(file, "import { readFileSync } from 'fs';").length, 1);
  assert.is(problems(file, "const { create } = await import('webgpu');").length, 1);
  assert.is(problems(file, "export { x } from '../platform/node.js';").length, 1);
  assert.is(problems(file, "import { y } from './ops/shape';").length, 1);
  assert.is(problems(file, 'const n = process.env.N;').length, 1);
  assert.is(problems(file, "import type { Backend } from './backend.js';\nexport * from './tensor.js';").length, 0);
});

test('engine/ imports nothing Node-only', () => {
  const files = sourcesUnder(path.join(root, 'engine'));
  assert.ok(files.length >= 20, `found only ${files.length} engine sources`);
  const imports = files.reduce((n, f) => n + specifiers(readFileSync(f, 'utf8')).length, 0);
  assert.ok(imports >= 50, `found only ${imports} imports: is the scanner blind?`);
  const found = files.flatMap((f) => problems(f, readFileSync(f, 'utf8')));
  assert.equal(found, []);
});

test.run();
