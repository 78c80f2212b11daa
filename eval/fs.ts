/**
 * Node-only: writes run-folder files atomically, so a crash mid-write leaves
 * the previous version of a file, never a truncated one. Everything else in
 * eval/ is browser-safe and returns strings or bytes for this to write.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

let sequence = 0;

/**
 * Writes `data` to `file` through a temporary sibling that is flushed to disk
 * and then renamed over the target (rename is atomic within a directory on
 * POSIX and NTFS). Creates missing parent folders.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${sequence++}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes several files (names relative to `dir`, may contain folders such as
 * 'grids/epoch-001.png'), each atomically, in the order given.
 */
export async function writeRunFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [name, data] of Object.entries(files)) {
    if (path.isAbsolute(name) || name.split(/[\\/]/).includes('..')) throw new Error(`writeRunFiles: '${name}' is not a path inside the run folder`);
    await writeFileAtomic(path.join(dir, name), data);
  }
}
