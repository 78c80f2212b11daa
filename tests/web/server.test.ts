/**
 * The page's static server (web/server.ts): cross-origin isolation headers
 * on every answer, the MIME types browsers insist on (module scripts and
 * WebAssembly.compileStreaming refuse others), the page at /, and no path,
 * raw or encoded, that reaches outside the served folder.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addressedToServer, resolveRequest, startServer, type RunningServer } from '../../web/server.js';

const base = mkdtempSync(path.join(tmpdir(), 'fedmed-serve-'));
const root = path.join(base, 'root');
mkdirSync(path.join(root, 'web'), { recursive: true });
writeFileSync(path.join(root, 'web', 'index.html'), '<!doctype html><title>page</title>');
mkdirSync(path.join(root, 'dist'));
writeFileSync(path.join(root, 'dist', 'a.js'), 'export const a = 1;');
writeFileSync(path.join(root, 'dist', 'k.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
writeFileSync(path.join(root, 'dist', 'm.json'), '{}');
mkdirSync(path.join(root, '.git'));
writeFileSync(path.join(root, '.git', 'config'), '[core]');
writeFileSync(path.join(root, 'notes.txt'), 'in the root, not in a served folder');
writeFileSync(path.join(base, 'secret.txt'), 'outside the root');

let server: RunningServer;

/** A raw GET (or another method) with the path sent exactly as written, as curl --path-as-is does. */
function get(pathAsIs: string, method = 'GET', host?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: pathAsIs, method, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test.before(async () => {
  server = await startServer({ root, served: ['web/', 'dist/'], port: 0 });
});

test.after(async () => {
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

/** This machine's addresses beyond loopback (none in some sandboxes). */
const outsideAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && !a.internal && a.family === 'IPv4')
  .map((a) => a!.address);

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('binds 127.0.0.1 only, on a free port, and says where', async () => {
  assert.ok(server.port > 0);
  assert.is(server.url, `http://127.0.0.1:${server.port}/`); // the address bound, as the server reports it
  assert.ok(await accepts('127.0.0.1', server.port));
  for (const address of outsideAddresses) assert.not.ok(await accepts(address, server.port), `${address} reaches the server`);
});

test('every answer is cross-origin isolated (COOP same-origin, COEP require-corp), errors too', async () => {
  for (const p of ['/dist/a.js', '/web/', '/missing', '/']) {
    const { headers } = await get(p);
    assert.is(headers['cross-origin-opener-policy'], 'same-origin', p);
    assert.is(headers['cross-origin-embedder-policy'], 'require-corp', p);
  }
});

test('MIME types of .js, .wasm, .html and .json, and the bytes as stored', async () => {
  const cases: [string, string, string][] = [
    ['/dist/a.js', 'text/javascript; charset=utf-8', 'export const a = 1;'],
    ['/dist/k.wasm', 'application/wasm', '\0asm\x01\0\0\0'],
    ['/web/index.html', 'text/html; charset=utf-8', '<!doctype html><title>page</title>'],
    ['/dist/m.json', 'application/json; charset=utf-8', '{}'],
  ];
  for (const [p, type, body] of cases) {
    const r = await get(p);
    assert.is(r.status, 200, p);
    assert.is(r.headers['content-type'], type, p);
    assert.is(r.body, body, p);
  }
});

test('redirects keep the query (the page\'s presets) and stay on this server, whatever slashes the path has', async () => {
  const cases: [string, string][] = [
    ['/?backend=js&run', '/web/?backend=js&run'],
    ['/web?backend=js&run', '/web/?backend=js&run'],
    ['/.//dist', '/dist/'], // its URL path is //dist, a host to a browser
    ['/.//web', '/web/'],
    ['//web', '/web/'],
  ];
  for (const [sent, location] of cases) {
    const r = await get(sent);
    assert.is(r.status, 302, sent);
    assert.is(r.headers.location, location, sent);
  }
});

test('/ leads to the page; a folder gets its slash, then its index.html', async () => {
  const top = await get('/');
  assert.is(top.status, 302);
  assert.is(top.headers.location, '/web/');
  const bare = await get('/web');
  assert.is(bare.status, 302);
  assert.is(bare.headers.location, '/web/');
  const page = await get('/web/');
  assert.is(page.status, 200);
  assert.match(page.body, /<title>page<\/title>/);
});

test('no path leaves the root: .. raw, encoded, double-dotted through a folder, backslashes, NUL', async () => {
  const attempts = ['/../secret.txt', '/%2e%2e/secret.txt', '/web/..%2f..%2fsecret.txt', '/web/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/dist/a.js%00', '/%E0%A4%A'];
  for (const p of attempts) {
    const r = await get(p);
    assert.ok(r.status === 400 || r.status === 404, `${p}: status ${r.status}`);
    assert.not.match(r.body, /outside the root/, p);
  }
  assert.is(resolveRequest(root, '/web/..%2f..%2fsecret.txt'), null);
  assert.is(resolveRequest(root, '/dist/a.js'), path.join(root, 'dist', 'a.js'));
});

test('only the served folders: .git/ and other files of the root are not found', async () => {
  for (const p of ['/.git/config', '/notes.txt', '/distx', '/dist']) assert.is((await get(p)).status, p === '/dist' ? 302 : 404, p);
  assert.is((await get('/dist/a.js')).status, 200);
});

test('only requests addressed to the server by name (127.0.0.1 or localhost and its port): no DNS rebinding', async () => {
  assert.is((await get('/web/', 'GET', `localhost:${server.port}`)).status, 200);
  for (const host of [`attacker.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`]) {
    const { status, body } = await get('/web/', 'GET', host);
    assert.is(status, 403, host);
    assert.match(body, /answers only to http:\/\/127\.0\.0\.1:/);
  }
});

test('the Host header must name this server and its port; on port 80, which browsers leave out, the bare name too', () => {
  assert.ok(addressedToServer('127.0.0.1:8080', 8080));
  assert.ok(addressedToServer('localhost:8080', 8080));
  assert.not.ok(addressedToServer('127.0.0.1', 8080));
  assert.not.ok(addressedToServer(undefined, 8080));
  assert.ok(addressedToServer('127.0.0.1', 80));
  assert.ok(addressedToServer('localhost', 80));
  assert.ok(addressedToServer('127.0.0.1:80', 80));
  assert.not.ok(addressedToServer('attacker.example', 80));
});

test('only GET and HEAD; HEAD sends the headers without the body', async () => {
  const post = await get('/dist/a.js', 'POST');
  assert.is(post.status, 405);
  assert.is(post.headers.allow, 'GET, HEAD');
  const head = await get('/dist/a.js', 'HEAD');
  assert.is(head.status, 200);
  assert.is(head.headers['content-length'], String('export const a = 1;'.length));
  assert.is(head.body, '');
});

test.run();
