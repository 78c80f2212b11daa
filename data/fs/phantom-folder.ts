/**
 * The folder `data phantom` writes into (Node): an empty one, or, with
 * `force`, one holding an earlier phantom, whose files are removed first so
 * the folder ends up holding exactly the new phantom, never a mixture that
 * training would read as one dataset. An earlier phantom's files are those
 * its marker (fedmed-phantom.json) describes; fedmed removes nothing it
 * cannot prove a phantom wrote, so a folder holding anything else is refused,
 * `force` or not.
 */
import { readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FolderTakenError, removeTempFiles } from '../../store/folder.js';
import { exists, fileError } from '../../store/atomic.js';
import { manifestFiles, phantomManifestName, type PhantomManifest } from '../phantom/files.js';
import { listFiles } from './discover.js';

/** The files (relative paths) the phantom described by `root`'s marker wrote, marker included; empty when there is no phantom marker. */
async function earlierPhantomFiles(root: string): Promise<Set<string>> {
  let manifest: PhantomManifest;
  try {
    manifest = JSON.parse(await readFile(join(root, phantomManifestName), 'utf8')) as PhantomManifest;
  } catch {
    return new Set(); // no marker, or not one fedmed wrote: nothing is provably a phantom's
  }
  if (manifest?.generator !== 'fedmed phantom') return new Set();
  try {
    return new Set([phantomManifestName, ...manifestFiles(manifest)]);
  } catch {
    return new Set();
  }
}

function listed(paths: string[]): string {
  return `${paths.slice(0, 3).join(', ')}${paths.length > 3 ? `, ... (${paths.length} files)` : ''}`;
}

/**
 * Readies `root` for a new phantom: nothing to do when it is missing or
 * empty; otherwise refused without `force`, and with it the earlier
 * phantom's files (and temporary files a killed writer left) are removed,
 * with the folders they leave empty. Throws FolderTakenError (a usage error)
 * naming what is in the way; nothing is removed then.
 */
export async function clearPhantomFolder(root: string, force: boolean): Promise<void> {
  if (!(await exists(root))) return;
  const files = await listFiles(root);
  if (files.length === 0) return;
  if (!force) throw new FolderTakenError(`${root}: is not empty (${files.length} file${files.length === 1 ? '' : 's'}); choose a new folder, or pass --force to replace the phantom in it`, null);
  await removeTempFiles(root);
  const ours = await earlierPhantomFiles(root);
  const remaining = await listFiles(root);
  const strangers = remaining.filter((f) => !ours.has(f));
  if (strangers.length > 0) {
    throw new FolderTakenError(`${root}: holds ${listed(strangers)}, which no fedmed phantom wrote; --force replaces only an earlier phantom's files: give a new or empty folder`, null);
  }
  for (const file of remaining) {
    const path = join(root, file);
    await rm(path, { force: true }).catch((e: unknown) => {
      throw fileError('remove', path, e);
    });
    await removeEmptyFolders(root, dirname(file));
  }
}

/** Removes `folder` (relative to root) and its parents up to root while they are empty. */
async function removeEmptyFolders(root: string, folder: string): Promise<void> {
  for (let f = folder; f !== '.' && f !== ''; f = dirname(f)) {
    try {
      await rmdir(join(root, f));
    } catch {
      return; // not empty (or gone): the folders above are not empty either
    }
  }
}
