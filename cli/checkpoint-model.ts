/**
 * A generators checkpoint found on disk, for `fedmed eval` and `fedmed
 * translate`: a run folder (its checkpoints/latest), a round folder, or a
 * generators.safetensors file. Reading the bytes is fed/checkpoint.ts.
 * Every problem is one line naming the path.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeCheckpoint, type Checkpoint } from '../fed/checkpoint.js';
import { readFileOrExplain } from '../store/atomic.js';
import { verifyFolder } from '../store/manifest.js';
import { generatorsFile, latestCheckpoint } from './train/checkpoint.js';

/** The generators file that `given` (a run folder, a round folder or the file itself) stands for. */
export async function resolveGeneratorsFile(given: string): Promise<string> {
  let isFile: boolean;
  try {
    isFile = (await stat(given)).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${given}: ${code === 'ENOENT' ? 'no such checkpoint' : `cannot read (${code ?? (e as Error).message})`}; give a run folder or a ${generatorsFile} file`);
  }
  if (isFile) return given;
  const latest = await latestCheckpoint(given);
  if (latest) {
    await verifyFolder(latest);
    return path.join(latest, generatorsFile);
  }
  const inFolder = path.join(given, generatorsFile);
  if (await stat(inFolder).then((s) => s.isFile(), () => false)) return inFolder;
  throw new Error(`${given}: not a run folder (no checkpoints/latest) and holds no ${generatorsFile}`);
}

/**
 * Reads and checks a checkpoint; needs no backend. A run going on replaces
 * its latest round (the new one written, checkpoints/latest moved, the old
 * one removed), so a read of a run folder that fails after latest has moved
 * on is a read caught in between, and reads the new round instead.
 */
export async function readCheckpoint(given: string): Promise<Checkpoint> {
  const latestNow = () => latestCheckpoint(given).catch(() => null); // null: not a run folder
  for (let tries = 1; ; tries++) {
    const latest = await latestNow();
    try {
      const file = await resolveGeneratorsFile(given);
      await verifyFolder(path.dirname(file), { optional: true }); // a round folder's manifest, where there is one
      return decodeCheckpoint(await readFileOrExplain(file), file);
    } catch (e) {
      if (tries === maxReads || latest === null || (await latestNow()) === latest) throw e;
    }
  }
}

/** Reads of a live run's latest round before its error stands: each retry needs the run to have finished another round meanwhile. */
const maxReads = 3;
