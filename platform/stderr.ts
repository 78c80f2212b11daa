/**
 * Silences this process's file descriptor 2 while a synchronous call runs.
 * Dawn (the `webgpu` package) prints its warnings from C++ straight to
 * stderr, beyond the reach of JavaScript's streams, and Node has no dup2:
 * so the descriptor is swapped by hand. /proc/self/fd/2 is opened first (a
 * second handle on the same terminal, pipe or file), fd 2 is closed and
 * /dev/null opened (POSIX gives it the lowest free number, 2); afterwards
 * the same steps put the saved handle back at 2. Where any of this is not
 * possible (no /proc, fd 0 or 1 closed, stderr a socket: the pipes Node's
 * child_process gives a child are sockets) the call runs with stderr as it is.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';

/** Opens `path` for appending and checks that it became fd 2; false (and nothing left open) if not. */
function openAsStderr(path: string): boolean {
  const fd = openSync(path, 'a');
  if (fd === 2) return true;
  closeSync(fd);
  return false;
}

export function withStderrSilenced<T>(call: () => T): T {
  let saved: number;
  try {
    fstatSync(0);
    fstatSync(1);
    saved = openSync('/proc/self/fd/2', 'a');
  } catch {
    return call();
  }
  closeSync(2);
  if (!openAsStderr('/dev/null')) {
    openAsStderr(`/proc/self/fd/${saved}`);
    closeSync(saved);
    return call();
  }
  try {
    return call();
  } finally {
    closeSync(2);
    openAsStderr(`/proc/self/fd/${saved}`);
    closeSync(saved);
  }
}
