/**
 * Reading NIfTI-1 from bytes as they arrive (a file read in chunks, a fetch
 * stream), gzip or not. The voxels are converted to float32 as each chunk
 * comes, so neither the compressed nor the raw file is ever held whole; with
 * a plane range the reader stops as soon as it has those planes. Every
 * problem is a DataError naming the file.
 */
import { Gunzip } from 'fflate';
import { DataError } from '../errors.js';
import { headerAffine, headerBytes, headerDatatype, headerScaling, headerShape, headerSpacing, headerVoxels, parseHeader, type NiftiHeader } from './header.js';
import type { Datatype } from './datatype.js';
import type { NiftiVolume } from './volume.js';

/**
 * The most voxels one read holds (2 GiB as float32): far above any MRI volume
 * (IXI's are about 8 M, a 0.5 mm 7 T one about 100 M), so a header whose dims
 * ask for more is refused before anything is allocated, naming the dims, not
 * left to fail as an allocation or to fill gigabytes before the data runs out.
 */
export const maxVoxels = 2 ** 29;

/** The largest file that can hold a volume fedmed reads: maxVoxels of float64, the widest datatype, and a MiB for the header and extensions. */
export const maxFileBytes = maxVoxels * 8 + 2 ** 20;

/** Refuses, naming the file, one of `bytes` too large to hold a volume fedmed reads: before any of it is read. */
export function checkFileSize(bytes: number, name: string): void {
  if (bytes > maxFileBytes) throw new DataError(name, `${gigabytes(bytes)}, larger than any volume fedmed reads (at most ${maxVoxels} voxels, ${gigabytes(maxFileBytes)} as float64): the wrong file, or a volume to crop first`);
}

export interface DecodeOptions {
  /** Keep only planes z0 <= z < z1 along the third axis (of the first volume), and stop reading there. */
  zRange?: [number, number];
  /** The size of the uncompressed file when known up front: checked against the header at once. */
  totalBytes?: number;
}

/** Turns the uncompressed bytes of a .nii, pushed in any chunking, into a NiftiVolume. */
export class NiftiDecoder {
  private head = new Uint8Array(headerBytes);
  private headFilled = 0;
  private header: NiftiHeader | null = null;
  private type!: Datatype;
  private slope = 1;
  private inter = 0;
  /** Bytes of the stream seen so far. */
  private position = 0;
  /** The byte range [begin, end) of the stream holding the wanted voxels. */
  private begin = 0;
  private end = 0;
  private zRange: [number, number] = [0, 1];
  private out = new Float32Array(0);
  private written = 0;
  /** The start of a voxel split across two chunks. */
  private carry = new Uint8Array(8);
  private carried = 0;
  private complete = false;

  constructor(
    readonly name: string,
    private options: DecodeOptions = {},
  ) {}

  /** True once the wanted voxels are all in (a caller may stop reading). */
  get done(): boolean {
    return this.complete && this.options.zRange !== undefined;
  }

  /** Feeds the next bytes; returns `done`. */
  push(chunk: Uint8Array): boolean {
    let offset = 0;
    while (offset < chunk.length && !this.done) {
      if (!this.header) {
        const take = Math.min(headerBytes - this.headFilled, chunk.length - offset);
        this.head.set(chunk.subarray(offset, offset + take), this.headFilled);
        this.headFilled += take;
        offset += take;
        this.position += take;
        if (this.headFilled === headerBytes) this.start(parseHeader(this.head, this.name));
        continue;
      }
      if (this.position < this.begin) {
        const skip = Math.min(this.begin - this.position, chunk.length - offset);
        offset += skip;
        this.position += skip;
        continue;
      }
      if (this.complete) throw new DataError(this.name, `data continues past the ${this.end - this.header.voxOffset} voxel bytes that dims ${headerShape(this.header).join('x')} ${this.type.name} need`);
      const take = Math.min(this.end - this.position, chunk.length - offset);
      this.convert(chunk.subarray(offset, offset + take));
      offset += take;
      this.position += take;
      if (this.position === this.end) this.complete = true;
    }
    return this.done;
  }

  /** The volume; an error if the stream ended before the voxels did. */
  finish(): NiftiVolume {
    const h = this.header;
    if (!h) throw new DataError(this.name, `too short for a NIfTI-1 header (${this.position} bytes, need ${headerBytes})`);
    if (!this.complete) {
      const need = h.voxOffset + headerVoxels(h) * this.type.bytes;
      throw new DataError(this.name, `data ends at byte ${this.position} but dims ${headerShape(h).join('x')} ${this.type.name} need ${need}: truncated file or wrong dims`);
    }
    return {
      name: this.name,
      header: h,
      shape: headerShape(h),
      spacing: headerSpacing(h),
      affine: headerAffine(h),
      data: this.out,
      zRange: this.zRange,
    };
  }

  private start(h: NiftiHeader): void {
    this.header = h;
    this.type = headerDatatype(h);
    ({ slope: this.slope, inter: this.inter } = headerScaling(h));
    const shape = headerShape(h);
    const planeVoxels = shape[0]! * (shape[1] ?? 1);
    const depth = shape[2] ?? 1;
    const voxels = headerVoxels(h);
    const need = h.voxOffset + voxels * this.type.bytes;
    const total = this.options.totalBytes;
    if (total !== undefined && total !== need) {
      throw new DataError(this.name, `dims ${shape.join('x')} ${this.type.name} need ${need} bytes but the file has ${total}`);
    }
    const range = this.options.zRange;
    if (range) {
      const [z0, z1] = range;
      if (!(Number.isInteger(z0) && Number.isInteger(z1) && 0 <= z0 && z0 < z1 && z1 <= depth)) {
        throw new DataError(this.name, `planes [${z0}, ${z1}) asked for, but the volume has ${depth} along its third axis`);
      }
      this.zRange = [z0, z1];
      this.begin = h.voxOffset + z0 * planeVoxels * this.type.bytes;
      this.end = h.voxOffset + z1 * planeVoxels * this.type.bytes;
    } else {
      this.zRange = [0, depth];
      this.begin = h.voxOffset;
      this.end = need;
    }
    this.out = allocate((this.end - this.begin) / this.type.bytes, `header dims ${shape.join('x')} ${this.type.name}`, this.name);
    if (this.begin === this.end) this.complete = true;
  }

  /** One line for a finite value (after scaling) that float32, which fedmed computes in, cannot hold: not the NaN or infinity it would become. */
  private beyondFloat32(index: number, value: number): never {
    const shape = headerShape(this.header!);
    const area = shape[0]! * (shape[1] ?? 1);
    const voxel = (this.begin - this.header!.voxOffset) / this.type.bytes + index;
    const at = `(${voxel % shape[0]!}, ${Math.floor(voxel / shape[0]!) % (shape[1] ?? 1)}, ${Math.floor(voxel / area)})`;
    throw new DataError(this.name, `value ${value} at voxel ${at} is beyond float32's range (+-${float32Max.toPrecision(3)}), in which fedmed computes`);
  }

  /** Converts raw voxel bytes (any split) to scaled float32. */
  private convert(bytes: Uint8Array): void {
    const { type, slope, inter, out } = this;
    const size = type.bytes;
    const le = this.header!.littleEndian;
    let offset = 0;
    if (this.carried > 0) {
      const take = Math.min(size - this.carried, bytes.length);
      this.carry.set(bytes.subarray(0, take), this.carried);
      this.carried += take;
      offset = take;
      if (this.carried < size) return;
      const v = type.get(new DataView(this.carry.buffer), 0, le) * slope + inter;
      out[this.written] = v;
      if (Math.abs(out[this.written]!) === Infinity && Number.isFinite(v)) this.beyondFloat32(this.written, v);
      this.written++;
      this.carried = 0;
    }
    const whole = Math.floor((bytes.length - offset) / size);
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, whole * size);
    let w = this.written;
    if (slope === 1 && inter === 0 && type.name !== 'float64') {
      for (let i = 0; i < whole; i++) out[w++] = type.get(view, i * size, le);
    } else {
      // Scaled values and float64 can exceed float32's range: a finite value stored must not read back as infinite.
      for (let i = 0; i < whole; i++, w++) {
        const v = type.get(view, i * size, le) * slope + inter;
        out[w] = v;
        if (Math.abs(out[w]!) === Infinity && Number.isFinite(v)) this.beyondFloat32(w, v);
      }
    }
    this.written = w;
    const rest = bytes.length - offset - whole * size;
    if (rest > 0) {
      this.carry.set(bytes.subarray(bytes.length - rest), 0);
      this.carried = rest;
    }
  }
}

/** Float32's largest finite value. */
const float32Max = 3.4028234663852886e38;

/** The float32 voxels to hold, or one line naming `what` needs them and how much memory that is. */
function allocate(voxels: number, what: string, name: string): Float32Array<ArrayBuffer> {
  const size = `${voxels} voxels (${gigabytes(voxels * 4)} as float32)`;
  if (voxels > maxVoxels) throw new DataError(name, `${what} need ${size}; fedmed reads at most ${maxVoxels} (${gigabytes(maxVoxels * 4)}): wrong dims, or a volume to crop first`);
  try {
    return new Float32Array(voxels);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new DataError(name, `${what} need ${size}, more memory than there is (${e.message})`);
  }
}

function gigabytes(bytes: number): string {
  return `${+(bytes / 1e9).toPrecision(3)} GB`;
}

/**
 * Reads a .nii or .nii.gz pushed in chunks of the file as stored: gzip (by
 * its magic bytes) is inflated on the way with fflate's streaming Gunzip.
 */
export class NiftiReader {
  private decoder: NiftiDecoder | null = null;
  private gunzip: Gunzip | null = null;
  private sniffed = new Uint8Array(0);

  /** `fileBytes`: the size of the file as stored; checked against the header when it is not gzip. */
  constructor(
    readonly name: string,
    private options: Omit<DecodeOptions, 'totalBytes'> & { fileBytes?: number } = {},
  ) {}

  get done(): boolean {
    return this.decoder?.done ?? false;
  }

  /** Feeds the next bytes of the file (`final` with the last ones); returns `done`. */
  push(chunk: Uint8Array, final = false): boolean {
    if (!this.decoder) {
      const joined = new Uint8Array(this.sniffed.length + chunk.length);
      joined.set(this.sniffed);
      joined.set(chunk, this.sniffed.length);
      if (joined.length < 2 && !final) {
        this.sniffed = joined;
        return false;
      }
      chunk = joined;
      const gzip = isGzipped(joined);
      const { zRange, fileBytes } = this.options;
      const decoder = new NiftiDecoder(this.name, gzip ? { zRange } : { zRange, totalBytes: fileBytes });
      this.decoder = decoder;
      if (gzip) {
        this.gunzip = new Gunzip((data) => {
          if (!decoder.done) decoder.push(data);
        });
      }
    }
    const decoder = this.decoder;
    if (decoder.done) return true;
    if (!this.gunzip) return decoder.push(chunk);
    try {
      this.gunzip.push(chunk, final);
    } catch (e) {
      if (e instanceof DataError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      if (/unexpected EOF/i.test(message)) throw new DataError(this.name, 'truncated gzip data (the file ends inside the compressed stream)');
      throw new DataError(this.name, `corrupt gzip data (${message})`);
    }
    return decoder.done;
  }

  finish(): NiftiVolume {
    if (!this.decoder) this.push(new Uint8Array(0), true);
    return this.decoder!.finish();
  }
}

/** Whether bytes start as gzip does (its magic number), whatever the file is called. */
export function isGzipped(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes a whole .nii or .nii.gz held in memory. */
export function decodeNifti(bytes: Uint8Array, name: string, options: Pick<DecodeOptions, 'zRange'> = {}): NiftiVolume {
  const reader = new NiftiReader(name, { ...options, fileBytes: bytes.length });
  reader.push(bytes, true);
  return reader.finish();
}
