/**
 * Node-only: an exclusive lock on a folder, so that two processes never
 * keep one folder's state at once (two `fedmed node`s on one --state folder
 * would each keep their own ledger, and the last writer's would win; two
 * `fedmed train`s in one run folder would remove each other's checkpoints).
 * The lock is the file DIR/.lock naming its holder (pid, host, and the
 * process's start: boot id and start time from /proc), linked into place
 * from a complete temporary file, so it appears whole or not at all and
 * only one of two racing starters gets it. A lock whose holder no longer
 * runs on this host is taken over: a killed process's, and one whose pid
 * now belongs to another process (a recycled pid, a container's pid 1
 * after a restart, this very process), told apart by the start recorded.
 * It is renamed aside first, and removed only if what was moved is that
 * stale lock, so a lock another starter has just taken is never lost. The
 * lock goes when it is released or the process exits; a SIGKILL leaves it,
 * stale.
 */
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileError, tempName } from './atomic.js';
import { FolderTakenError, lockFile, processAlive } from './folder.js';

interface Holder {
  pid: number;
  host: string;
  /** When the holder started ('<boot id>/<start time in clock ticks>'); absent where /proc is not (and in locks of earlier builds). */
  started?: string;
}

/** The locks this process holds: a lock naming this pid that is not among them was left by an earlier process given the same pid. */
const held = new Set<string>();

/** When process `pid` started, as Holder.started; undefined where /proc cannot tell. */
function processStart(pid: number): string | undefined {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22; the name before ')' may hold spaces
    return startTime ? `${bootId}/${startTime}` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that took the lock `lock` still runs (on another host: assumed so, it cannot be seen from here). */
function holderRuns(lock: string, holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return held.has(path.resolve(lock));
  if (!processAlive(holder.pid)) return false;
  const now = holder.started === undefined ? undefined : processStart(holder.pid);
  return now === undefined || now === holder.started;
}

/**
 * Takes the lock on `dir` (which exists) for a fedmed `kind` ('node
 * state'), or refuses with one line naming the folder and the holder's pid.
 * Returns the release.
 */
export async function lockFolder(dir: string, kind: string): Promise<() => void> {
  const lock = path.join(dir, lockFile);
  const me: Holder = { pid: process.pid, host: hostname(), started: processStart(process.pid) };
  const temp = () => tempName(lock); // a killed start's are removed as any temporary file
  const mine = temp();
  try {
    await writeFile(mine, JSON.stringify(me));
    for (let tries = 0; tries < 5; tries++) {
      try {
        await link(mine, lock);
        return holdUntilExit(lock);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = await readHolder(lock);
      if (holder === undefined) continue; // released meanwhile
      if (holder && holderRuns(lock, holder)) throw inUse(dir, kind, holder);
      const aside = temp();
      try {
        await rename(lock, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another starter took it over first
        throw e;
      }
      const moved = await readHolder(aside);
      if (moved && !(moved.pid === holder?.pid && moved.host === holder.host && moved.started === holder.started)) {
        await link(aside, lock).catch(() => {}); // a fresh lock, taken since it was read: put it back
        await rm(aside, { force: true });
        throw inUse(dir, kind, moved);
      }
      await rm(aside, { force: true });
    }
    throw new Error('it kept changing hands while this process tried; try again');
  } catch (e) {
    throw e instanceof FolderTakenError ? e : fileError('take the lock', lock, e);
  } finally {
    await rm(mine, { force: true });
  }
}

function inUse(dir: string, kind: string, holder: Holder): FolderTakenError {
  const lock = path.join(dir, lockFile);
  const where = holder.host === hostname() ? '' : ` on ${holder.host}`;
  return new FolderTakenError(`${dir}: in use by pid ${holder.pid}${where}, which holds its lock ${lock}; stop that process, or give another folder (if that pid is no fedmed using this folder, the lock is stale: remove ${lock})`, kind);
}

/** The lock's holder; null when the file is not a lock (then it is taken over), undefined when it is gone. */
async function readHolder(file: string): Promise<Holder | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { pid, host, started } = JSON.parse(text) as Partial<Holder>;
    return Number.isInteger(pid) && typeof host === 'string' ? { pid: pid!, host, started: typeof started === 'string' ? started : undefined } : null;
  } catch {
    return null;
  }
}

/** Removes the lock on release or at exit (process.exit included), if it is still this process's. */
function holdUntilExit(lock: string): () => void {
  held.add(path.resolve(lock));
  const release = () => {
    process.off('exit', release);
    held.delete(path.resolve(lock));
    try {
      if ((JSON.parse(readFileSync(lock, 'utf8')) as Holder).pid === process.pid) rmSync(lock, { force: true });
    } catch {
      // gone already, or not ours: nothing to release
    }
  };
  process.on('exit', release);
  return release;
}
