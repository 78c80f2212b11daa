/**
 * Node-only: what makes a folder safe to write a run (or a node's state)
 * into. Each check runs before any work, so a mistake costs nothing:
 * `probeOutputFolder` really creates and removes a file and checks free
 * space; `claimFolder` refuses a folder that already holds something of
 * ours; `removeTempFiles` clears the temporary files a kill left;
 * `readPointer` follows a name file (`checkpoints/latest`) only inside its
 * folder.
 */
import { readdir, readFile, realpath, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileError, FileSystemError, makeFolder, tempSuffix, under, writeFileAtomic } from './atomic.js';

/**
 * Creates `dir` if needed and proves that a file can be created and removed
 * in it, and that `bytesNeeded` are free on its file system (makeFolder
 * refuses /proc and /sys before anything is created).
 */
export async function probeOutputFolder(dir: string, bytesNeeded = 0): Promise<void> {
  await makeFolder(dir);
  const absolute = path.resolve(dir);
  const probe = path.join(absolute, `.fedmed-probe.${process.pid}.0${tempSuffix}`);
  try {
    await writeFile(probe, 'probe');
    await rm(probe);
  } catch (e) {
    await rm(probe, { force: true }).catch(() => {});
    throw fileError('write into the folder', dir, e);
  }
  if (bytesNeeded > 0) {
    const fsStats = await statfs(absolute);
    const free = Number(fsStats.bavail) * Number(fsStats.bsize);
    if (free < bytesNeeded) throw new FileSystemError(`${dir}: ${megabytes(free)} free, and one checkpoint needs ${megabytes(bytesNeeded)}; free some space or choose another folder (ENOSPC)`, 'ENOSPC', dir);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** Thrown by claimFolder when the folder already holds something and replacing it was not asked for. */
export class FolderTakenError extends Error {
  override name = 'FolderTakenError';
}

export interface ClaimOptions {
  /** An entry whose presence means the folder is taken (a run's `config.json`). */
  marker: string;
  /** The entries the previous occupant may have left (all removed by `force`). */
  owned: readonly string[];
  /** Remove the previous occupant's entries instead of refusing. */
  force?: boolean;
}

/** Refuses a folder that holds `marker`, or with `force` removes every `owned` entry first, so nothing mixes. */
export async function claimFolder(dir: string, options: ClaimOptions): Promise<'fresh' | 'replaced'> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'fresh';
    throw fileError('read the folder', dir, e);
  }
  if (!entries.includes(options.marker)) return 'fresh';
  if (!options.force) throw new FolderTakenError(`${dir} already holds ${options.marker}`);
  for (const name of entries) {
    if (options.owned.includes(name) || name.endsWith(tempSuffix)) await rm(path.join(dir, name), { recursive: true, force: true });
  }
  return 'replaced';
}

/** Our temporary files: `<file>.<pid>.<n>.tmp`, as writeFileAtomic names them. */
const ourTemp = new RegExp(`\\.\\d+\\.\\d+${tempSuffix.replace('.', '\\.')}$`);

/** Removes, under `dir`, the temporary files a killed writer left; returns their paths. */
export async function removeTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) removed.push(...(await removeTempFiles(p)));
    else if (ourTemp.test(e.name)) {
      await rm(p, { force: true });
      removed.push(p);
    }
  }
  return removed;
}

/**
 * The path a pointer file (holding one name relative to its own folder, such
 * as `checkpoints/latest` holding `round-0003`) names; null when there is no
 * pointer. A name that leads outside the pointer's folder is refused.
 */
export async function readPointer(file: string): Promise<string | null> {
  let name: string;
  try {
    name = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileError('read', file, e);
  }
  const folder = path.dirname(file);
  const target = path.resolve(folder, name);
  const inside = name !== '' && under(folder, target) && target !== path.resolve(folder);
  const real = inside ? await realpath(target).catch(() => target) : target;
  if (!inside || !under(await realpath(folder).catch(() => folder), real)) {
    throw new Error(`${file}: names '${name}', which is not inside ${folder}; the folder was changed by hand`);
  }
  return target;
}

/** Points `file` at `name` (a sibling entry), atomically. */
export async function writePointer(file: string, name: string): Promise<void> {
  await writeFileAtomic(file, name + '\n');
}
