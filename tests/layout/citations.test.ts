/**
 * The documents the code cites are in the repository: a comment or message
 * naming DESIGN.md, README.md or bench/RESULTS.md points a reader at a file
 * they have (31 comments cited a reference file kept outside the checkout).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/sources.js';

const skipped = new Set(['node_modules', 'dist', '.git']);

/** Every source file (TypeScript, scripts, fixture generators) under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (skipped.has(e.name)) return [];
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.(ts|mjs|py)$/.test(e.name) ? [full] : [];
  });
}

/** Documents named as files: upper-case names ending in .md, with their folders where given. */
const cited = /(?:[\w-]+\/)*[A-Z][A-Z0-9_-]*\.md\b/g;

test('every document a source cites exists, at the path it names from the repository root', () => {
  const files = sources(repoRoot);
  assert.ok(files.length > 150, `found only ${files.length} sources`);
  const missing = files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(cited)].map((m) => m[0]).filter((doc) => !existsSync(path.join(repoRoot, doc))).map((doc) => `${path.relative(repoRoot, file)} cites ${doc}`),
  );
  assert.equal([...new Set(missing)], []);
});

test('the check sees a citation of a missing document', () => {
  const outside = 'REFERENCE' + '.md'; // spelt in two parts, or this file would cite it
  assert.equal(`see ${outside}, Models; and DESIGN.md or bench/RESULTS.md`.match(cited), [outside, 'DESIGN.md', 'bench/RESULTS.md']);
  assert.not.ok(existsSync(path.join(repoRoot, outside)));
});

test.run();
