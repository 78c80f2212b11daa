/**
 * NumPy's .npy format, version 1.0, for float32 arrays: how a Flower Array
 * carries its values. The header is a Python dict literal padded with spaces
 * and a newline so that the data starts at a multiple of 64 bytes, as numpy
 * writes it; data is little-endian, C order.
 */
import { sizeOf } from '../../engine/index.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The numpy dtype names of the .npy descriptors this reader knows (to name a wrong one). */
const DESCRIPTORS: Record<string, string> = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '|u1': 'uint8', '|i1': 'int8',
  '<i2': 'int16', '<i4': 'int32', '<i8': 'int64', '<u2': 'uint16', '<u4': 'uint32', '<u8': 'uint64', '|b1': 'bool',
};

export function toNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  const size = sizeOf(shape);
  if (size !== values.length) throw new Error(`toNpy: shape [${shape}] holds ${size} values, got ${values.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = MAGIC.length + 4 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(MAGIC.length + 4 + header.length + values.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; // version 1.0
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  out.set(littleEndian(data), 10 + header.length);
  return out;
}

export interface NpyArray {
  /** numpy's name of the element type ('float32', 'float64', ...). */
  dtype: string;
  shape: number[];
  /** The values, when dtype is float32 (empty otherwise). */
  values: Float32Array;
}

/** Reads a .npy file; anything but a well-formed v1/v2 file is an error saying what is wrong. */
export function fromNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not .npy bytes (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  if (major !== 1 && major !== 2) throw new Error(`.npy version ${major}.${bytes[7]} is not one this reader knows (1.0, 2.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.length) throw new Error(`.npy header of ${headerLength} bytes runs past the ${bytes.length} bytes given`);
  // One char per byte, without spreading the header into call arguments (a v2 header may be megabytes long).
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`.npy header '${header.trim()}' lacks descr, fortran_order or shape`);
  const shape = shapeText.split(',').map((d) => d.trim()).filter((d) => d !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`.npy shape (${shapeText}) is not a tuple of sizes`);
  const dtype = DESCRIPTORS[descr] ?? descr;
  if (dtype !== 'float32') return { dtype, shape, values: new Float32Array(0) };
  if (fortran === 'True') throw new Error('.npy array in Fortran order; fedmed reads C order');
  const size = sizeOf(shape);
  const data = bytes.subarray(headerStart + headerLength);
  if (data.length !== size * 4) throw new Error(`.npy data is ${data.length} bytes where shape (${shape}) of float32 needs ${size * 4}`);
  const values = new Float32Array(size);
  new Uint8Array(values.buffer).set(littleEndian(data));
  return { dtype, shape, values };
}

/** The bytes as little-endian float32s (a copy swapped on a big-endian host). */
function littleEndian(data: Uint8Array): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 4) for (let j = 0; j < 4; j++) out[i + j] = data[i + 3 - j]!;
  return out;
}
