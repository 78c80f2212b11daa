/**
 * NIfTI-1 voxel datatypes (nifti1.h, DT_*): the ones fedmed reads and
 * writes, with their byte size and how to move one value through a DataView.
 * Complex, RGB, 64-bit integer and 128-bit float data are refused by name.
 */

export type DatatypeName = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface Datatype {
  name: DatatypeName;
  /** nifti1.h DT_* code. */
  code: number;
  bytes: number;
  get(view: DataView, offset: number, littleEndian: boolean): number;
  set(view: DataView, offset: number, value: number, littleEndian: boolean): void;
}

const table: Datatype[] = [
  { name: 'uint8', code: 2, bytes: 1, get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  { name: 'int16', code: 4, bytes: 2, get: (v, o, le) => v.getInt16(o, le), set: (v, o, x, le) => v.setInt16(o, x, le) },
  { name: 'int32', code: 8, bytes: 4, get: (v, o, le) => v.getInt32(o, le), set: (v, o, x, le) => v.setInt32(o, x, le) },
  { name: 'float32', code: 16, bytes: 4, get: (v, o, le) => v.getFloat32(o, le), set: (v, o, x, le) => v.setFloat32(o, x, le) },
  { name: 'float64', code: 64, bytes: 8, get: (v, o, le) => v.getFloat64(o, le), set: (v, o, x, le) => v.setFloat64(o, x, le) },
  { name: 'int8', code: 256, bytes: 1, get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  { name: 'uint16', code: 512, bytes: 2, get: (v, o, le) => v.getUint16(o, le), set: (v, o, x, le) => v.setUint16(o, x, le) },
  { name: 'uint32', code: 768, bytes: 4, get: (v, o, le) => v.getUint32(o, le), set: (v, o, x, le) => v.setUint32(o, x, le) },
];

/** Names of the codes we refuse, for the error message. */
const unsupported: Record<number, string> = {
  0: 'unknown',
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'rgb24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};

/** The datatype for a DT_* code, or a description of why there is none. */
export function datatypeByCode(code: number): Datatype | string {
  return table.find((d) => d.code === code) ?? `unsupported datatype ${unsupported[code] ?? 'code'} (code ${code})`;
}

export function datatypeByName(name: DatatypeName): Datatype {
  return table.find((d) => d.name === name)!;
}

/** Smallest and largest value an integer type holds; infinite for floats. */
export function datatypeRange(d: Datatype): [number, number] {
  switch (d.name) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'uint32':
      return [0, 4294967295];
    default:
      return [-Infinity, Infinity];
  }
}
