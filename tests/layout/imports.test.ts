/**
 * The layers of DESIGN.md's Layout table hold in the code: every relative
 * import in the tree goes from a part to one that its row's "may import"
 * cell names (`everything`, `nothing`, or backquoted folders). The table is
 * read from DESIGN.md itself, so the page and the code cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, sourcesUnder, specifiers } from '../helpers/sources.js';

interface Layer {
  /** Folder ('engine/', 'kernels/wgsl/') or file ('index.ts') the row owns. */
  part: string;
  /** Parts it may import; null: everything. */
  mayImport: string[] | null;
  /** Its "owns" cell begins "Node-only": reached only by a row that names it, never through its parent folder. */
  nodeOnly: boolean;
}

/** The rows of the table under `## Layout` in `markdown`. */
function layoutTable(markdown: string): Layer[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layout\n'));
  if (!section) throw new Error('DESIGN.md has no "## Layout" section');
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) => {
    const [parts, owns, may] = row.split('|').slice(1, 4).map((c) => c.trim());
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const mayImport = /^everything/.test(may!) ? null : /^nothing/.test(may!) ? [] : ticked(may!);
    return ticked(parts!).map((part) => ({ part, mayImport, nodeOnly: /^Node-only/.test(owns!) }));
  });
}

/** The layer that owns a repository path: the longest part that is a prefix of it. */
function ownerOf(layers: Layer[], relative: string): Layer | undefined {
  const owners = layers.filter((l) => (l.part.endsWith('/') ? relative.startsWith(l.part) : relative === l.part));
  return owners.sort((a, b) => b.part.length - a.part.length)[0];
}

/**
 * One line for each relative import of `file` (repository-relative) that its
 * layer does not allow. A folder's own sub-rows (`data/contrasts.ts` in
 * `data/`) are its own, and a permitted folder covers its sub-rows, but for
 * Node-only ones (`data/fs/` in `data/`), which only a row naming them reaches.
 */
function violations(layers: Layer[], file: string, source: string): string[] {
  const from = ownerOf(layers, file);
  if (!from) return [`${file}: in no row of DESIGN.md's Layout table`];
  const out: string[] = [];
  for (const spec of specifiers(source)) {
    if (!spec.startsWith('./') && !spec.startsWith('../')) continue; // packages and node: builtins: not layers
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
    const to = ownerOf(layers, target);
    const reaches = (part: string) => to!.part === part || (to!.part.startsWith(part) && !to!.nodeOnly);
    if (!to) out.push(`${file} imports '${spec}', which is in no row of the table`);
    else if (!reaches(from.part) && from.mayImport !== null && !from.mayImport.some(reaches)) {
      out.push(`${file} (${from.part}) imports '${spec}' (${to.part}); ${from.part} may import ${from.mayImport.length ? from.mayImport.join(', ') : 'nothing'}`);
    }
  }
  return out;
}

const layers = layoutTable(readFileSync(path.join(repoRoot, 'DESIGN.md'), 'utf8'));

test('the table is read: every folder of the tree has its row', () => {
  const parts = layers.map((l) => l.part);
  for (const part of ['engine/', 'kernels/wgsl/', 'kernels/wasm/', 'models/', 'data/', 'data/fs/', 'fed/', 'fed/flower/', 'eval/', 'cli/', 'platform/', 'web/', 'bench/', 'tests/']) assert.ok(parts.includes(part), `no row for ${part}`);
  assert.equal(layers.filter((l) => l.nodeOnly).map((l) => l.part), ['data/fs/', 'fed/flower/', 'store/']);
  assert.equal(ownerOf(layers, 'web/main.ts')?.mayImport, ['browser.ts', 'engine/', 'models/', 'data/', 'fed/', 'eval/']);
  assert.ok(ownerOf(layers, 'index.ts'), 'no row for the package entry index.ts');
  assert.is(ownerOf(layers, 'cli/main.ts')?.mayImport, null);
});

test('the checker catches what it must', () => {
  assert.equal(violations(layers, 'web/serve.ts', "import { parseFlags } from '../cli/args.js';").length, 1);
  assert.equal(violations(layers, 'models/x.ts', "import type { Item } from '../data/index.js';").length, 1);
  assert.equal(violations(layers, 'engine/x.ts', "export * from '../models/index.js';").length, 1);
  assert.equal(violations(layers, 'elsewhere/x.ts', '').length, 1);
  assert.equal(violations(layers, 'eval/x.ts', "import { tensor } from '../engine/index.js';\nimport { psnr } from './metrics.js';\nimport fs from 'node:fs';"), []);
  assert.equal(violations(layers, 'data/fs/x.ts', "import { tidy } from '../../engine/index.js';"), []);
  // Node-only sub-rows: a browser layer reaches them neither as their parent nor through a parent it may import.
  assert.equal(violations(layers, 'fed/x.ts', "import { loadDataset } from '../data/fs/index.js';").length, 1);
  assert.equal(violations(layers, 'fed/x.ts', "import { startSuperNode } from './flower/supernode.js';").length, 1);
  assert.equal(violations(layers, 'eval/x.ts', "import { readNiftiFile } from '../data/fs/nifti.js';").length, 1);
  assert.equal(violations(layers, 'data/x.ts', "import { listFiles } from './fs/discover.js';").length, 1);
  assert.equal(violations(layers, 'web/x.ts', "import { listFiles } from '../data/fs/discover.js';\nimport { hospital } from '../fed/flower/hospital.js';").length, 2);
  assert.equal(violations(layers, 'fed/flower/x.ts', "import { ledger } from '../dp/ledger.js';\nimport { pack } from './records.js';"), []);
  assert.equal(violations(layers, 'index.ts', "export * as data from './data/fs/node.js';"), []);
});

test('every import in the tree keeps to its layer', () => {
  const files = layers
    .filter((l) => l.part.endsWith('/'))
    .flatMap((l) => sourcesUnder(path.join(repoRoot, l.part)))
    .concat(layers.filter((l) => !l.part.endsWith('/')).map((l) => path.join(repoRoot, l.part)));
  const unique = [...new Set(files)];
  assert.ok(unique.length > 150, `found only ${unique.length} sources`);
  const found = unique.flatMap((f) => violations(layers, path.relative(repoRoot, f).split(path.sep).join('/'), readFileSync(f, 'utf8')));
  assert.equal(found, []);
});

test.run();
