/** Finding a dataset's files on disk (Node): a folder walk handed to the layout parser. */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import { indexDataset, type DatasetIndex, type Layout } from '../layouts.js';
import { phantomManifestName, type PhantomManifest } from '../phantom/files.js';

/**
 * Every file under `root`, as '/'-separated paths relative to it (hidden
 * entries skipped). Links to folders are followed (data is often assembled
 * from links on a cluster), each real folder walked once, so a link cycle
 * ends.
 */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walked = new Set<string>();
  async function walk(dir: string, prefix: string): Promise<void> {
    const real = await realpath(dir).catch(() => dir); // readdir below names the problem
    if (walked.has(real)) return;
    walked.add(real);
    const entries = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw listingError(dir, e);
    });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const path = join(dir, entry.name);
      // A broken link stays a file: reading it names it.
      const folder = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).then((s) => s.isDirectory(), () => false)));
      if (folder) await walk(path, rel);
      else out.push(rel);
    }
  }
  await walk(root, '');
  return out.sort();
}

function listingError(dir: string, e: NodeJS.ErrnoException): DataError {
  return new DataError(dir, e.code === 'ENOENT' ? 'no such folder' : e.code === 'ENOTDIR' ? 'is not a folder (a dataset is a folder of volumes; fedmed translate and metrics take one file)' : `cannot list (${e.code ?? e.message})`);
}

/** Throws listFiles' one line when `root` cannot be read as a dataset folder: a check before anything is written for it. */
export async function checkDatasetFolder(root: string): Promise<void> {
  await readdir(root).catch((e: NodeJS.ErrnoException) => {
    throw listingError(root, e);
  });
}

/** The subjects of a dataset folder, with the phantom's manifest when the folder holds one. */
export async function discoverDataset(root: string, layout: Layout | 'auto' = 'auto'): Promise<DatasetIndex & { manifest: PhantomManifest | null }> {
  const files = await listFiles(root);
  const index = indexDataset(files, layout);
  let manifest: PhantomManifest | null = null;
  if (files.includes(phantomManifestName)) {
    try {
      manifest = JSON.parse(await readFile(join(root, phantomManifestName), 'utf8')) as PhantomManifest;
    } catch (e) {
      throw new DataError(join(root, phantomManifestName), `is not valid JSON (${(e as Error).message})`);
    }
  }
  if (manifest) {
    // BraTS names carry no site; the manifest does.
    const sites = new Map(manifest.subjects.map((s) => [s.id, s.site]));
    for (const s of index.subjects) s.site ??= sites.get(s.id) ?? null;
  }
  return { ...index, manifest };
}
