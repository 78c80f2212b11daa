/**
 * Writing NIfTI-1: a volume's values under a header taken from another file
 * (its geometry, units, description kept), stored as float32 or an integer
 * type, gzip-compressed with fflate for a .nii.gz.
 */
import { Gzip, gzipSync } from 'fflate';
import { datatypeByName, datatypeRange, type DatatypeName } from './datatype.js';
import { encodeHeader, headerBytes, headerShape, headerVoxels, type NiftiHeader } from './header.js';

export interface EncodeOptions {
  /** How values are stored: float32 by default; integer types round, and every value must fit. */
  datatype?: DatatypeName;
  /** gzip level 0-9 for a .nii.gz (default 6), or false for a plain .nii. */
  gzip?: number | false;
}

/**
 * The bytes of a .nii(.gz) holding `values` (x fastest, as the header's dims
 * say) under a copy of `header`: datatype and bitpix follow `datatype`,
 * voxels start at byte 352, scaling is reset to none, the display range
 * (cal_min/cal_max) is cleared and extensions are dropped; everything else
 * (dims, pixdim, qform, sform, units, descrip...) is kept.
 */
export function encodeNifti(header: NiftiHeader, values: ArrayLike<number>, options: EncodeOptions = {}): Uint8Array {
  const voxels = headerVoxels(header);
  if (values.length !== voxels) {
    throw new RangeError(`encodeNifti: ${values.length} values for dims ${headerShape(header).join('x')} (${voxels} voxels)`);
  }
  const type = datatypeByName(options.datatype ?? 'float32');
  const out: NiftiHeader = {
    ...header,
    littleEndian: true,
    datatype: type.code,
    bitpix: type.bytes * 8,
    voxOffset: headerBytes,
    sclSlope: 1,
    sclInter: 0,
    calMin: 0,
    calMax: 0,
  };
  const bytes = new Uint8Array(headerBytes + voxels * type.bytes);
  bytes.set(encodeHeader(out));
  const view = new DataView(bytes.buffer, headerBytes);
  if (type.name === 'float32' || type.name === 'float64') {
    for (let i = 0; i < voxels; i++) type.set(view, i * type.bytes, values[i]!, true);
  } else {
    const [low, high] = datatypeRange(type);
    for (let i = 0; i < voxels; i++) {
      const v = Math.round(values[i]!);
      if (!(v >= low && v <= high)) throw new RangeError(`encodeNifti: value ${values[i]} at voxel ${i} does not fit ${type.name}`);
      type.set(view, i * type.bytes, v, true);
    }
  }
  const level = options.gzip ?? 6;
  if (level === false) return bytes;
  return gzipSync(bytes, { level: gzipLevel(level), mtime: 0 }); // mtime 0: the same volume gives the same bytes
}

type GzipLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
const gzipLevel = (level: number) => level as GzipLevel;

/**
 * A .nii's bytes gzipped as encodeNifti gzips them (level 6, mtime 0), in
 * pieces of `step` bytes with `between()` awaited after each: on a page's
 * main thread the whole of a large volume at once holds up painting and
 * input for seconds. The same .nii.gz once inflated, not always the same
 * compressed bytes.
 */
export async function gzipInSteps(bytes: Uint8Array, between: () => Promise<unknown>, step = 1 << 20): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const gzip = new Gzip({ level: gzipLevel(6), mtime: 0 }, (chunk) => parts.push(chunk));
  for (let start = 0; start < bytes.length || start === 0; start += step) {
    gzip.push(bytes.subarray(start, start + step), start + step >= bytes.length);
    await between();
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
