/**
 * NIfTI files on disk (Node): read in 1 MiB chunks and inflated with Node's
 * native zlib into the streaming decoder, stopping at the last plane wanted;
 * written with zlib too, atomically. The browser path (data/nifti) inflates and deflates
 * with fflate instead; Node's zlib is about five times faster here, which
 * matters for hundreds of volumes.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../store/atomic.js';
import { DataError } from '../errors.js';
import { isGzipped, NiftiDecoder } from '../nifti/decode.js';
import { encodeNifti, type EncodeOptions } from '../nifti/encode.js';
import type { NiftiHeader } from '../nifti/header.js';
import type { NiftiVolume } from '../nifti/volume.js';

const chunkBytes = 1 << 20;
const gzipAsync = promisify(gzip);

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new DataError(path, e.code === 'ENOENT' ? 'no such file' : `cannot open (${e.code ?? e.message})`);
  });
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0).catch((e: NodeJS.ErrnoException) => {
      throw new DataError(path, e.code === 'EISDIR' ? 'is a folder, not a file' : `cannot read (${e.code ?? e.message})`);
    });
    return isGzipped(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Reads a .nii or .nii.gz; with `zRange`, only those planes (and only as far into the file as they go). */
export async function readNiftiFile(path: string, options: { zRange?: [number, number] } = {}): Promise<NiftiVolume> {
  const gz = await isGzip(path);
  const decoder = new NiftiDecoder(path, gz ? options : { ...options, totalBytes: (await stat(path)).size });
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  const source = gz ? file.pipe(createGunzip({ chunkSize: chunkBytes })) : file;
  try {
    for await (const chunk of source) {
      if (decoder.push(chunk as Buffer)) break;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const error = e as NodeJS.ErrnoException;
    if (error.code === 'Z_BUF_ERROR') throw new DataError(path, 'truncated gzip data (the file ends inside the compressed stream)');
    throw new DataError(path, gz && error.code?.startsWith('Z_') ? `corrupt gzip data (${error.message})` : `cannot read (${error.code ?? error.message})`);
  } finally {
    file.destroy();
    source.destroy();
  }
  return decoder.finish();
}

/**
 * Writes `values` under `header` (see encodeNifti); gzip-compressed when the
 * path ends in .gz (any case, as translate accepts it), at `level` (default 6). Written atomically (store/atomic.ts),
 * so a full disk or a kill leaves the previous file or none, never a torn one.
 */
export async function writeNiftiFile(
  path: string,
  header: NiftiHeader,
  values: ArrayLike<number>,
  options: Omit<EncodeOptions, 'gzip'> & { level?: number } = {},
): Promise<number> {
  const raw = encodeNifti(header, values, { datatype: options.datatype, gzip: false });
  const bytes = /\.gz$/i.test(path) ? await gzipAsync(raw, { level: options.level ?? 6 }) : raw;
  await writeFileAtomic(path, bytes);
  return bytes.length;
}
