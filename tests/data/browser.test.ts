import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const dataRoot = fileURLToPath(new URL('../../../data/', import.meta.url)); // the sources, from dist/tests/data/

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('data/ outside data/fs imports no Node module and nothing from data/fs (it must run in a browser)', () => {
  const browserSide = sources(dataRoot).filter((f) => !relative(dataRoot, f).startsWith('fs/'));
  assert.ok(browserSide.length > 15);
  for (const file of browserSide) {
    const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    for (const spec of imports) {
      assert.not.ok(spec.startsWith('node:') || ['fs', 'path', 'os', 'zlib', 'worker_threads'].includes(spec), `${relative(dataRoot, file)} imports ${spec}`);
      assert.not.ok(spec.includes('/fs/'), `${relative(dataRoot, file)} imports ${spec}`);
    }
  }
});

test.run();
