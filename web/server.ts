/**
 * The page's static server (Node only): the page's folders of the
 * repository over http://127.0.0.1, so that dist/ and node_modules/ load as
 * they are, with the cross-origin isolation headers (COOP/COEP) a page needs
 * for SharedArrayBuffer, and so for the wasm backend's threads. GET and HEAD
 * of files in the served folders only (not .git/, run folders or anything
 * else in the checkout); never bound beyond loopback, and only for requests
 * addressed to it by name, so a page elsewhere cannot reach it by DNS
 * rebinding.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ServerOptions {
  /** The folder whose parts are served, as `/`. */
  root: string;
  /** The folders under `root` that may be served ('web/', 'dist/'); every other path is not found. */
  served: readonly string[];
  /** TCP port; 0 picks a free one. */
  port: number;
}

export interface RunningServer {
  /** `http://<the address bound>:<port>/`: 127.0.0.1. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** What the page loads from the repository: itself, the build, and the three packages it imports in the browser. */
export const pageFolders: readonly string[] = ['web/', 'dist/', 'node_modules/fflate/', 'node_modules/nifti-reader-js/', 'node_modules/@niivue/niivue/'];

/** Sent with every answer: cross-origin isolation, and no caching, so a rebuild shows on reload. */
const commonHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

export function startServer(options: ServerOptions): Promise<RunningServer> {
  const root = path.resolve(options.root);
  let port = 0;
  const server = createServer((request, response) => {
    if (!addressedToServer(request.headers.host, port)) return reply(response, 403, `this server answers only to http://127.0.0.1:${port}/`);
    serve(root, options.served, request, response).catch((e: unknown) => {
      if (!response.headersSent) reply(response, 500, `server error: ${(e as Error).message}`);
      else response.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      const bound = server.address() as AddressInfo;
      port = bound.port;
      resolve({
        url: `http://${bound.address}:${port}/`, // what was bound, so that a test sees it is loopback
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function serve(root: string, served: readonly string[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return reply(response, 405, `${request.method} is not served; GET or HEAD`);
  }
  const file = resolveRequest(root, request.url ?? '/');
  if (file === null) return reply(response, 400, 'bad path');
  const { search } = new URL(request.url ?? '/', 'http://localhost'); // kept across redirects: the page reads its presets there
  if (file === '/') return redirect(response, `/web/${search}`);
  const relative = path.relative(root, file).split(path.sep).join('/');
  if (!served.some((folder) => `${relative}/`.startsWith(folder))) return reply(response, 404, `not found: ${request.url}`);
  let info = await stat(file).catch(() => null);
  let target = file;
  if (info?.isDirectory()) {
    // The slash, so that the page's relative URLs resolve inside it; the path as resolved, since one as sent
    // ('/.//dist') can start with '//', which a browser reads as another host.
    if (!new URL(request.url ?? '/', 'http://localhost').pathname.endsWith('/')) return redirect(response, `/${relative.split('/').map(encodeURIComponent).join('/')}/${search}`);
    target = path.join(file, 'index.html');
    info = await stat(target).catch(() => null);
  }
  if (!info?.isFile()) return reply(response, 404, `not found: ${request.url}`);
  response.writeHead(200, {
    ...commonHeaders,
    'Content-Type': mimeTypes[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(target).pipe(response);
}

/**
 * Whether a request's Host header names this server: 127.0.0.1 or
 * localhost with its port, or without one on port 80, which browsers leave
 * out there. Any other name may be a DNS-rebinding page's.
 */
export function addressedToServer(host: string | undefined, port: number): boolean {
  const names = ['127.0.0.1', 'localhost'];
  return names.some((name) => host === `${name}:${port}` || (port === 80 && host === name));
}

/**
 * The file a request's path names under `root`, or null when the path is
 * malformed or would leave the root ('..' segments, encoded or not, NUL,
 * backslashes); '/' for the bare root, which the page lives under.
 */
export function resolveRequest(root: string, url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  if (pathname.split('/').some((segment) => segment === '..')) return null; // URL() already folds them; an encoded one survives it
  if (pathname === '/') return '/';
  const file = path.resolve(root, '.' + pathname);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...commonHeaders, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text + '\n');
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { ...commonHeaders, Location: location });
  response.end();
}
