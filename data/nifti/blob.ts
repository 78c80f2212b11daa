/**
 * A NIfTI file picked or dropped in a browser (a Blob), read as the CLI
 * reads one from disk (data/fs/nifti.ts): refused by its size before a byte
 * is read, then streamed in chunks through the decoder, so that a bad header
 * stops the read at the first chunk instead of after the whole file is held
 * in memory. Browser-safe (Node has Blob too).
 */
import { DataError } from '../errors.js';
import { checkFileSize, NiftiReader } from './decode.js';
import type { NiftiVolume } from './volume.js';

/** The volume and the file's bytes as stored (a viewer shows those). */
export async function readNiftiBlob(blob: Pick<Blob, 'size' | 'stream'>, name: string): Promise<{ volume: NiftiVolume; bytes: Uint8Array }> {
  checkFileSize(blob.size, name);
  const reader = new NiftiReader(name, { fileBytes: blob.size });
  const chunks: Uint8Array[] = [];
  const stream = blob.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await stream.read().catch((e: unknown) => {
        throw new DataError(name, `could not be read (${e instanceof Error ? e.message : String(e)})`);
      });
      if (done) break;
      chunks.push(value);
      reader.push(value);
    }
    reader.push(new Uint8Array(0), true); // the end: gzip's last block
  } finally {
    void stream.cancel().catch(() => undefined); // stops a read cut short by an error; a no-op after the end
  }
  const volume = reader.finish();
  const bytes = new Uint8Array(blob.size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { volume, bytes };
}
