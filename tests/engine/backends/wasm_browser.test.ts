/**
 * The wasm backend in a browser: headless Chromium loads the built engine
 * from a server that sends COOP/COEP (so SharedArrayBuffer exists), and runs
 * a multi-threaded convolution forward and backward on js and on wasm, once
 * on the page's main thread (where the backend spins instead of
 * Atomics.wait) and once in a module worker (where it waits). Skipped, and
 * said so, where no Chromium is installed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs in the page and in the worker: js and wasm on the same conv, the largest relative differences. */
const check = `
import { conv2d, setBackend, square, sum, tensor } from './engine/index.js';
export async function run(where) {
  const xs = Array.from({ length: 2 * 13 * 37 * 41 }, (_, i) => Math.sin(i * 0.37));
  const ws = Array.from({ length: 7 * 13 * 3 * 3 }, (_, i) => Math.cos(i * 0.11) * 0.2);
  const got = {};
  for (const name of ['js', 'wasm']) {
    const backend = await setBackend(name, name === 'wasm' ? { threads: 2 } : {});
    const x = tensor(xs, [2, 13, 37, 41], { requiresGrad: true });
    const w = tensor(ws, [7, 13, 3, 3], { requiresGrad: true });
    const y = conv2d(x, w, undefined, { padding: 1, stride: [1, 2] });
    sum(square(y)).backward();
    got[name] = { describe: backend.describe(), y: await y.data(), dx: await x.grad.data(), dw: await w.grad.data() };
  }
  const worst = (key) => {
    const a = got.wasm[key], e = got.js[key];
    let scale = 0, diff = 0;
    for (let i = 0; i < e.length; i++) { scale = Math.max(scale, Math.abs(e[i])); diff = Math.max(diff, Math.abs(a[i] - e[i])); }
    return diff / scale;
  };
  return { where, crossOriginIsolated, wasm: got.wasm.describe, y: worst('y'), dx: worst('dx'), dw: worst('dw') };
}`;

const worker = `import { run } from './check.js'; postMessage(await run('worker'));`;

/** The page posts its result (or its error) back to the server. */
const page = `<!doctype html><script type="module">
import { run } from './check.js';
let result;
try {
  const inWorker = await new Promise((resolve, reject) => {
    const w = new Worker('./check_worker.js', { type: 'module' });
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => reject(new Error(e.message));
  });
  result = { runs: [await run('main thread'), inWorker] };
} catch (e) {
  result = { error: String(e && e.message) };
}
await fetch('/result', { method: 'POST', body: JSON.stringify(result) });
</script>`;

const routes: Record<string, [string, string]> = {
  '/check.js': ['text/javascript', check],
  '/check_worker.js': ['text/javascript', worker],
  '/index.html': ['text/html', page],
};
const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

interface PageResult {
  runs?: { where: string; crossOriginIsolated: boolean; wasm: string; y: number; dx: number; dw: number }[];
  error?: string;
}

/** Serves dist/ and the routes above, cross-origin isolated; `result` resolves with what the page posts. */
async function serve(): Promise<{ server: http.Server; result: Promise<PageResult> }> {
  let deliver: (r: PageResult) => void = () => {};
  const result = new Promise<PageResult>((resolve) => (deliver = resolve));
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost').pathname;
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (url === '/result') {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.writeHead(204).end();
      deliver(JSON.parse(body) as PageResult);
      return;
    }
    const route = routes[url];
    if (route) {
      res.writeHead(200, { ...headers, 'Content-Type': route[0] }).end(route[1]);
      return;
    }
    const file = path.join(dist, url);
    if (!file.startsWith(dist)) return void res.writeHead(403).end();
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, result };
}

/** Headless Chromium on `url` until `done` settles (at most two minutes). */
async function browse<T>(url: string, done: Promise<T>): Promise<T> {
  // Real time, not --virtual-time-budget: with virtual time, fetches from workers never finished.
  const child = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', url], { stdio: 'ignore' });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no result from the page within 2 minutes')), 120_000)));
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`Chromium exited (${code}) before the page answered`))));
  try {
    return await Promise.race([done, timeout, exited]);
  } finally {
    clearTimeout(timer);
    child.kill();
  }
}

const haveChromium = existsSync(chromium);

(haveChromium ? test : test.skip)(`wasm in Chromium: threads on the main thread and in a worker match js (${haveChromium ? chromium : 'no Chromium found: skipped'})`, async () => {
  const { server, result } = await serve();
  try {
    const { port } = server.address() as AddressInfo;
    const page = await browse(`http://127.0.0.1:${port}/index.html`, result);
    assert.ok(page.runs, `the page failed: ${page.error}`);
    assert.is(page.runs!.length, 2);
    for (const r of page.runs!) {
      assert.ok(r.crossOriginIsolated, `${r.where}: not cross-origin isolated`);
      assert.match(r.wasm, /2 threads/, `${r.where}: ${r.wasm}`);
      for (const key of ['y', 'dx', 'dw'] as const) assert.ok(r[key] < 1e-4, `${r.where}: ${key} differs from js by ${r[key]} of its largest value`);
    }
  } finally {
    server.close();
  }
});

test.run();
