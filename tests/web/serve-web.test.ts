/** cli/serve-web.ts, `npm run web`: its flags, a stray word and a port in use, each one line and an exit status. */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServer } from '../../web/server.js';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/serve-web.js'); // from dist/tests/web

function serveWeb(...args: string[]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: run.status, stderr: run.stderr };
}

test('a stray word is refused (exit 2, one line), not served on the default port', () => {
  const { status, stderr } = serveWeb('9000');
  assert.is(status, 2);
  assert.is(stderr, 'fedmed web: npm run web takes no arguments, got 9000; did you mean --port N?\n');
});

test('a port out of range or not a number: exit 2, one line', () => {
  for (const port of ['70000', 'abc']) {
    const { status, stderr } = serveWeb('--port', port);
    assert.is(status, 2, port);
    assert.match(stderr, /^fedmed web: .*port.*\n$/, port);
  }
});

test('a port in use: exit 1 and a line that says so and what to do', async () => {
  const taken = await startServer({ root: '.', served: [], port: 0 });
  try {
    const run = spawn(process.execPath, [script, '--port', String(taken.port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const status = await new Promise<number | null>((resolve) => run.on('close', resolve));
    assert.is(status, 1);
    assert.is(stderr, `fedmed web: port ${taken.port} is in use; try --port 0\n`);
  } finally {
    await taken.close();
  }
});

test('--port 0 serves the page on a free loopback port and says where', async () => {
  const run = spawn(process.execPath, [script, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((resolve) => run.stdout.once('data', (chunk: Buffer) => resolve(String(chunk))));
    assert.match(line, /^fedmed page: http:\/\/127\.0\.0\.1:\d+\/web\/ /);
    const url = line.split(' ')[2]!;
    const page = await fetch(url);
    assert.is(page.status, 200);
    assert.match(await page.text(), /<title>fedmed/);
  } finally {
    run.kill();
  }
});

test.run();
