/**
 * The file a command writes when its work is done (its --out), checked
 * before the work, so that a path it cannot write fails at once in one
 * line naming --out, not minutes later with an error about a temporary file.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { makeFolder } from '../store/atomic.js';
import { UsageError } from './args.js';

/**
 * Refuses an existing `out` unless `force` (and a folder at `out` always),
 * and a file where one of its folders must be; makes its missing folders
 * (which refuses /proc, no permission, a read-only disk).
 */
export async function prepareOutFile(out: string, force: boolean): Promise<void> {
  const there = await stat(out).catch(() => null);
  if (there?.isDirectory()) throw new UsageError(`--out ${out} is a folder; name the file to write`);
  if (there && !force) throw new UsageError(`--out ${out} exists; pass --force to replace it`);
  const blocking = await fileInTheWay(path.dirname(out));
  if (blocking) throw new UsageError(`--out ${out}: ${blocking} is a file, not a folder`);
  await makeFolder(path.dirname(out));
}

/** The nearest path at or above `folder` that exists, when it is not a folder (a file holds no files); null otherwise. */
async function fileInTheWay(folder: string): Promise<string | null> {
  for (let at = folder; ; at = path.dirname(at)) {
    const found = await stat(at).catch(() => null); // missing, or under a file: look further up
    if (found) return found.isDirectory() ? null : at;
    if (path.dirname(at) === at) return null;
  }
}
