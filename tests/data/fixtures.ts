/** Test-side access to committed fixtures and to the real files Debian's mricron-data installs. */
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';

const repoRoot = new URL('../../../', import.meta.url); // from dist/tests/data/

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`tests/fixtures/${name}`, repoRoot), 'utf8')) as T;
}

export const mricronTemplates = '/usr/share/mricron/templates';

/**
 * Registers a test that needs a file from mricron-data: a visible skip when
 * the package is missing, a failure on CI (where .ci/run installs it).
 */
export function testWithFile(name: string, path: string, fn: () => void | Promise<void>): void {
  if (existsSync(path)) test(name, fn);
  else if (process.env.CI) test(name, () => { throw new Error(`${path} is missing: apt-get install mricron-data`); });
  else test.skip(`${name} (${path} missing: apt-get install mricron-data)`, fn);
}
