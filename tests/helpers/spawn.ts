/**
 * Runs a command with its stdout and stderr sent to files, as a shell's
 * redirections or a terminal give them. Node's own spawn pipes are sockets,
 * on which the Node platform cannot silence Dawn's warnings (see
 * platform/stderr.ts), so the tests of a quiet console run this way.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FileRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runToFiles(command: string, args: string[], options: { cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): FileRun {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-run-'));
  const [out, err] = [path.join(dir, 'stdout'), path.join(dir, 'stderr')];
  const fds = [openSync(out, 'w'), openSync(err, 'w')] as const;
  try {
    const run = spawnSync(command, args, { ...options, stdio: ['ignore', fds[0], fds[1]] });
    return { status: run.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    fds.forEach((fd) => closeSync(fd));
    rmSync(dir, { recursive: true, force: true });
  }
}
