/**
 * Node-only: writes files atomically, so a crash mid-write leaves the
 * previous version of a file, never a truncated one, and turns the file
 * system's error codes into one line naming the file.
 */
import { access, mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';

let sequence = 0;

/**
 * Temporary siblings end in this, fedmed's own so that no one else's file
 * is ever taken for one; `removeTempFiles` (store/folder.ts) clears those a
 * kill left.
 */
const tempSuffix = '.fedmed.tmp';

/** A fresh temporary sibling of `file`: `<file>.<pid>.<n>.fedmed.tmp`, which names its writer for tempWriter. */
export function tempName(file: string): string {
  return `${file}.${process.pid}.${sequence++}${tempSuffix}`;
}

const tempPattern = new RegExp(`\\.(\\d+)\\.\\d+${tempSuffix.replaceAll('.', '\\.')}$`);

/** The pid of the process that wrote `name`, if it is one of tempName's temporary files; null otherwise. */
export function tempWriter(name: string): number | null {
  const match = tempPattern.exec(name);
  return match === null ? null : Number(match[1]);
}

const causes: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  EEXIST: 'already exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/** Causes that are the file system refusing (its space, permissions, hardware), not a wrong path: fedmed exits 74 for them. */
const refusals = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EMFILE']);

/** The file system refused an operation on `path` (no space, read-only, permission denied, I/O error). */
export class FileSystemError extends Error {
  override name = 'FileSystemError';
  constructor(message: string, readonly code: string, readonly path: string) {
    super(message);
  }
}

/**
 * One line for a failed file operation: what was done to which file, and the
 * cause in words; a FileSystemError when the file system refused.
 */
export function fileError(action: string, file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException)?.code;
  const cause = (code && causes[code]) ? `${causes[code]} (${code})` : code ?? (error as Error)?.message?.split('\n')[0] ?? String(error);
  const message = `${file}: cannot ${action}: ${cause}`;
  return code && refusals.has(code) ? new FileSystemError(message, code, file) : new Error(message);
}

/** A file's bytes; a failure is one line naming the file. */
export async function readFileOrExplain(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw fileError('read', file, e);
  }
}

/** Kernel file systems: writing there is never meant, and Node's recursive mkdir under /proc never returns. */
const forbiddenRoots = ['/proc', '/sys'];

/** Whether `p` is `root` or inside it (both absolute). */
export function under(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The nearest folder of `p` (itself or an ancestor) that exists, with its links resolved. */
async function nearestExisting(p: string): Promise<string> {
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return await realpath(at);
    } catch {
      if (path.dirname(at) === at) return at;
    }
  }
}

/**
 * Creates `dir` and its missing parents; every writer of fedmed's comes
 * here. A path under /proc or /sys (by name or through a link) is refused
 * first. The missing folders are made one by one, not by Node's recursive
 * mkdir, which spins forever on some kernel file systems and reports ENOENT
 * whatever stopped it (a read-only file system, a permission): each mkdir
 * here fails at once with its real cause.
 */
export async function makeFolder(dir: string): Promise<void> {
  const absolute = path.resolve(dir);
  const real = await nearestExisting(absolute);
  const root = forbiddenRoots.find((r) => under(r, absolute) || under(r, real));
  if (root) throw new Error(`${dir}: is under ${root}, a kernel file system; choose a folder on a disk`);
  const missing: string[] = [];
  for (let at = absolute; path.dirname(at) !== at && !(await exists(at)); at = path.dirname(at)) missing.unshift(at);
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError('create the folder', dir, e); // EEXIST: made meanwhile by another writer
    }
  }
}

/** Whether something exists at `file` (a refusal to overwrite asks this first). */
export function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/** Atomic writes under way, and what waits for none to be (a stop signal's exit). */
let inFlight = 0;
const waiting: (() => void)[] = [];

/**
 * Calls `callback` as soon as no atomic write is under way: now, or
 * synchronously as the last one finishes, before its caller resumes, so a
 * callback that exits the process never leaves a write half done and never
 * lets the next one start.
 */
export function whenNoWriteInFlight(callback: () => void): void {
  if (inFlight === 0) callback();
  else waiting.push(callback);
}

function writeFinished(): void {
  if (--inFlight === 0) for (const callback of waiting.splice(0)) callback();
}

/**
 * Writes `data` to `file` through a temporary sibling that is flushed to disk
 * and then renamed over the target (rename is atomic within a directory on
 * POSIX and NTFS). Creates missing parent folders.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  inFlight++;
  try {
    await makeFolder(path.dirname(file));
    const temp = tempName(file);
    try {
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
      await syncFolder(path.dirname(file));
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {}); // the write's own error is the one to report
      throw fileError('write', file, error);
    }
  } finally {
    writeFinished();
  }
}

/** What a file system answers when it cannot sync a folder at all: then the rename's own durability is all there is. */
const noFolderSync = new Set(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM']);

/**
 * Flushes a folder's entries to disk, so that a rename into it survives a
 * power loss (POSIX makes a rename durable only with its folder's fsync).
 */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (!noFolderSync.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
}

/**
 * Writes several files (names relative to `dir`, may contain folders such as
 * 'grids/epoch-001.png'), each atomically, in the order given.
 */
export async function writeRunFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [name, data] of Object.entries(files)) {
    if (!isInside(name)) throw new Error(`writeRunFiles: '${name}' is not a path inside the run folder`);
    await writeFileAtomic(path.join(dir, name), data);
  }
}

/** A relative path that stays inside its folder (no absolute path, no '..'). */
export function isInside(name: string): boolean {
  return name !== '' && !path.isAbsolute(name) && !name.split(/[\\/]/).includes('..');
}
