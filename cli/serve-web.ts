#!/usr/bin/env node
/**
 * `npm run web`: serves the page's folders of the repository on 127.0.0.1
 * and prints the page's address. Flags: --port N (default 8080; 0 picks a free port).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFlags, parseFlags, UsageError } from './args.js';
import { exitCodes } from './exit-codes.js';
import { pageFolders, startServer } from '../web/server.js';

const flags = { port: { type: 'int', help: 'TCP port on 127.0.0.1 (0: any free one)', default: 8080 } } as const;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'); // from dist/cli/

try {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    console.log(`usage: npm run web -- [--port N]\n\nflags:\n${describeFlags(flags)}`);
    process.exit(exitCodes.ok);
  }
  const parsed = parseFlags(argv, flags);
  if (parsed.positionals.length) throw new UsageError(`npm run web takes no arguments, got ${parsed.positionals.join(' ')}; did you mean --port N?`);
  const port = parsed.flags.port as number;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port is in 0..65535, got ${port}`);
  const server = await startServer({ root, served: pageFolders, port });
  console.log(`fedmed page: ${server.url}web/  (serving ${pageFolders.join(', ')} of ${root}; Ctrl-C stops)`);
} catch (e) {
  const error = e as Error & { code?: string };
  const message = error.code === 'EADDRINUSE' ? `port ${error.message.match(/:(\d+)$/)?.[1] ?? ''} is in use; try --port 0` : error.message;
  console.error(`fedmed web: ${message}`);
  process.exit(error instanceof UsageError ? exitCodes.usage : exitCodes.failure);
}
