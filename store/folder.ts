/**
 * Node-only: what makes a folder safe to write a run (or a node's state)
 * into. Each check runs before any work, so a mistake costs nothing:
 * `probeOutputFolder` really creates and removes a file and checks free
 * space; `claimFolder` takes only a folder fedmed can prove its own (its
 * marker, `fedmed.json`) or an empty one, replacing what it holds only when
 * forced; `removeTempFiles` clears the temporary files a kill left;
 * `readPointer` follows a name file (`checkpoints/latest`) only inside its
 * folder.
 */
import { readdir, readFile, realpath, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileError, FileSystemError, makeFolder, tempName, tempWriter, under, writeFileAtomic } from './atomic.js';

/**
 * Creates `dir` if needed and proves that a file can be created and removed
 * in it, and (checkFreeSpace) that `bytesNeeded` are free on its file
 * system for `what` (makeFolder refuses /proc and /sys before anything is
 * created).
 */
export async function probeOutputFolder(dir: string, bytesNeeded = 0, what = 'one checkpoint'): Promise<void> {
  await makeFolder(dir);
  const probe = tempName(path.join(path.resolve(dir), '.fedmed-probe'));
  try {
    await writeFile(probe, 'probe');
    await rm(probe);
  } catch (e) {
    await rm(probe, { force: true }).catch(() => {});
    throw fileError('write into the folder', dir, e);
  }
  await checkFreeSpace(dir, bytesNeeded, what);
}

/** Refuses, in one line (ENOSPC), a folder whose file system has less than `bytesNeeded` free for `what`. */
export async function checkFreeSpace(dir: string, bytesNeeded: number, what: string): Promise<void> {
  if (bytesNeeded <= 0) return;
  const fsStats = await statfs(path.resolve(dir));
  const free = Number(fsStats.bavail) * Number(fsStats.bsize);
  if (free < bytesNeeded) throw new FileSystemError(`${dir}: ${megabytes(free)} free, and ${megabytes(bytesNeeded)} are needed for ${what}; free some space or choose another folder (ENOSPC)`, 'ENOSPC', dir);
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** Whether `name` is one of our temporary files whose writer no longer runs: what a kill left, never a write in flight. */
function leftByAKill(name: string): boolean {
  const writer = tempWriter(name);
  return writer !== null && !processAlive(writer);
}

/** The file that holds a folder's lock (store/lock.ts): like our temporary files, never part of what a folder holds. */
export const lockFile = '.lock';

/** Whether a process with this pid runs on this machine (another user's counts: it cannot be signalled, but it is alive). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The file fedmed writes into each folder it claims, naming what the folder
 * holds ({"fedmed": "training run"}): the proof that a folder is fedmed's,
 * where its other files (a config.json, checkpoints/) could be anyone's.
 */
export const markerFile = 'fedmed.json';

/**
 * Thrown by checkFolder and claimFolder: the folder holds something that is
 * not of the kind asked for, or a folder of that kind that `force` was not
 * given to replace. `holder`: the kind of fedmed folder it holds, null when
 * it is not fedmed's.
 */
export class FolderTakenError extends Error {
  override name = 'FolderTakenError';
  constructor(message: string, readonly holder: string | null) {
    super(message);
  }
}

/** What a kind of folder is, for checkFolder and claimFolder. */
export interface FolderRule {
  /** What the folder holds ('training run', 'experiment dp'), as its marker names it. */
  kind: string;
  /** The entries the kind writes (names, or patterns for numbered ones): a folder holding one of them is taken, and `force` removes them all. */
  owned: readonly (string | RegExp)[];
  /** Recognises a folder of the kind that an earlier fedmed wrote, before it marked its folders (given its entries). */
  recognise?: (dir: string, entries: readonly string[]) => Promise<boolean>;
}

export interface ClaimOptions extends FolderRule {
  /** Remove the `owned` entries of a folder of the kind instead of refusing it. */
  force?: boolean;
}

function owns(rule: FolderRule, name: string): boolean {
  return rule.owned.some((entry) => (typeof entry === 'string' ? entry === name : entry.test(name)));
}

/** The kind a folder's marker names; null when the marker is not fedmed's. */
async function markedKind(dir: string): Promise<string | null> {
  const file = path.join(dir, markerFile);
  try {
    const kind = (JSON.parse(await readFile(file, 'utf8')) as { fedmed?: unknown })?.fedmed;
    return typeof kind === 'string' ? kind : null;
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw fileError('read', file, e);
  }
}

/**
 * Where `dir` stands for a folder of `rule.kind`: 'free' when it is missing,
 * empty (but for our temporary files) or of the kind with none of its
 * entries yet; 'taken' when it holds a folder of the kind. Anything else (a
 * folder fedmed cannot prove its own, or another kind of fedmed's) is
 * refused with one line naming what it holds, whatever the caller meant to
 * do with it. Nothing is changed.
 */
export async function checkFolder(dir: string, rule: FolderRule): Promise<'free' | 'taken'> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((name) => tempWriter(name) === null && name !== lockFile).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'free';
    throw fileError('read the folder', dir, e);
  }
  if (entries.length === 0) return 'free';
  const holder = entries.includes(markerFile) ? await markedKind(dir) : (await rule.recognise?.(dir, entries).catch(() => false)) ? rule.kind : null;
  if (holder === null) {
    const listed = `${entries.slice(0, 3).join(', ')}${entries.length > 3 ? `, ... (${entries.length} entries)` : ''}`;
    throw new FolderTakenError(`${dir}: holds ${listed}, not a fedmed ${rule.kind}; give a new or empty folder (fedmed never writes over files it cannot prove its own, --force or not)`, null);
  }
  if (holder !== rule.kind) throw new FolderTakenError(`${dir}: holds a fedmed ${holder}, not a fedmed ${rule.kind}; give another folder`, holder);
  return entries.some((name) => owns(rule, name)) ? 'taken' : 'free';
}

/**
 * Claims `dir` for a folder of `options.kind` and marks it so: a folder
 * checkFolder finds taken is refused, or with `force` its `owned` entries
 * (and the temporary files a killed writer left, by fedmed's own temporary
 * name) are removed first, so two occupants never mix; anything else in it,
 * a live writer's temporary file included, is left alone.
 */
export async function claimFolder(dir: string, options: ClaimOptions): Promise<'fresh' | 'replaced'> {
  const state = await checkFolder(dir, options);
  if (state === 'taken') {
    if (!options.force) throw new FolderTakenError(`${dir} already holds a fedmed ${options.kind}`, options.kind);
    for (const name of await readdir(dir)) {
      if (owns(options, name) || leftByAKill(name)) await rm(path.join(dir, name), { recursive: true, force: true });
    }
  }
  await writeFileAtomic(path.join(dir, markerFile), `${JSON.stringify({ fedmed: options.kind })}\n`);
  return state === 'taken' ? 'replaced' : 'fresh';
}

/**
 * Removes, under `dir`, the temporary files a killed writer left; returns
 * their paths. A file whose writer (the pid in its name) still runs is
 * another process's write in flight, and is left alone.
 */
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
    else if (leftByAKill(e.name)) {
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
