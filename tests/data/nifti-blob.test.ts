/**
 * data/nifti/blob.ts, the page's reader of a picked file: the same volume as
 * the whole-bytes decoder, a file too large for any volume refused before a
 * byte is read, and a bad header after the first chunk, not the whole file.
 */
import { closeSync, mkdtempSync, openAsBlob, openSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'fflate';
import { readNiftiBlob } from '../../data/nifti/blob.js';
import { decodeNifti, maxFileBytes } from '../../data/nifti/decode.js';
import { encodeNifti } from '../../data/nifti/encode.js';
import { createHeader } from '../../data/nifti/header.js';
import { datatypeByName } from '../../data/nifti/datatype.js';
import { DataError } from '../../data/errors.js';

const scratch = mkdtempSync(join(tmpdir(), 'fedmed-blob-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** A small int16 .nii's bytes. */
function niftiBytes(): Uint8Array {
  const shape = [5, 4, 3];
  const header = createHeader({ shape, spacing: [1, 1, 2], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]], datatype: datatypeByName('int16') });
  return encodeNifti(header, Array.from({ length: 60 }, (_, i) => (i * 37) % 101 - 50), { datatype: 'int16', gzip: false });
}

/** A Blob test double that gives `bytes` in chunks of `chunk` and counts the chunks read. */
function chunkedBlob(bytes: Uint8Array, chunk: number): { blob: Pick<Blob, 'size' | 'stream'>; reads: () => number } {
  let reads = 0;
  const blob = {
    size: bytes.length,
    stream: () =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          const start = reads++ * chunk;
          if (start >= bytes.length) controller.close();
          else controller.enqueue(bytes.slice(start, start + chunk));
        },
      }),
  } as Pick<Blob, 'size' | 'stream'>;
  return { blob, reads: () => reads };
}

/** A sparse file of `bytes` zeros (no disk used), as a file-backed Blob. */
async function sparseBlob(name: string, bytes: number): Promise<Blob> {
  const file = join(scratch, name);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return openAsBlob(file);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

test('.nii and .nii.gz read in small chunks: the whole-bytes decoder\'s volume, and the file\'s bytes as stored', async () => {
  const raw = niftiBytes();
  for (const [name, bytes] of [['a.nii', raw], ['a.nii.gz', gzipSync(raw)]] as const) {
    const read = await readNiftiBlob(chunkedBlob(bytes, 37).blob, name);
    const whole = decodeNifti(bytes, name);
    assert.equal(read.volume.shape, whole.shape, name);
    assert.equal([...read.volume.data], [...whole.data], name);
    assert.equal(read.bytes, bytes, name);
  }
});

test('a file larger than any volume fedmed reads is refused by its size, naming it, before a byte is read', async () => {
  const { blob, reads } = chunkedBlob(niftiBytes(), 64);
  const error = await failure(readNiftiBlob({ size: maxFileBytes + 1, stream: blob.stream }, 'huge.nii'));
  assert.instance(error, DataError);
  assert.match(error.message, /^huge\.nii: 4\.3 GB, larger than any volume fedmed reads \(at most 536870912 voxels, 4\.3 GB as float64\)/);
  assert.is(reads(), 0);
});

test('a 3 GB file of zeros: the decoder\'s header line after the first chunk, as fedmed translate says it', async () => {
  const started = performance.now();
  const error = await failure(readNiftiBlob(await sparseBlob('zeros.nii', 3 * 2 ** 30), 'zeros.nii'));
  assert.is(error.message, 'zeros.nii: not a NIfTI-1 file (sizeof_hdr is 0, want 348)');
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 1, `${seconds} s: read more than its header`);
});

test.run();
