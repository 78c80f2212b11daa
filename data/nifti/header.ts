/**
 * The NIfTI-1 header: parsed with nifti-reader-js, checked, and written back.
 * Every field of the 348-byte header is kept, so a synthesized volume can be
 * written with its source's geometry, units and description. The affine is
 * chosen as nibabel chooses it (sform, then qform, then a centred base).
 */
import { NIFTI1 } from 'nifti-reader-js';
import { DataError } from '../errors.js';
import { datatypeByCode, type Datatype } from './datatype.js';

/** Header bytes before the voxels of a single-file .nii: 348, then 4 extension-flag bytes. */
export const headerBytes = 352;

/** All NIfTI-1 header fields, with nifti1.h's names in camelCase. */
export interface NiftiHeader {
  littleEndian: boolean;
  dimInfo: number;
  /** dim[0..7]: dim[0] is the number of dimensions, dim[1..] the sizes. */
  dim: number[];
  intentP1: number;
  intentP2: number;
  intentP3: number;
  intentCode: number;
  datatype: number;
  bitpix: number;
  sliceStart: number;
  /** pixdim[0..7]: pixdim[0] is qfac, pixdim[1..3] the voxel size. */
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  sliceEnd: number;
  sliceCode: number;
  xyztUnits: number;
  calMax: number;
  calMin: number;
  sliceDuration: number;
  toffset: number;
  descrip: string;
  auxFile: string;
  qformCode: number;
  sformCode: number;
  quaternB: number;
  quaternC: number;
  quaternD: number;
  qoffsetX: number;
  qoffsetY: number;
  qoffsetZ: number;
  /** The sform's three rows, [4] each. */
  srowX: number[];
  srowY: number[];
  srowZ: number[];
  intentName: string;
}

/** Parses and checks the first 348 (or more) bytes of a .nii file named `where`. */
export function parseHeader(bytes: Uint8Array, where: string): NiftiHeader {
  if (bytes.length < 348) throw new DataError(where, `too short for a NIfTI-1 header (${bytes.length} bytes, need 348)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 348);
  const sizeLe = view.getInt32(0, true);
  const sizeBe = view.getInt32(0, false);
  if (sizeLe === 540 || sizeBe === 540) throw new DataError(where, 'is NIfTI-2, which fedmed does not read (convert it to NIfTI-1)');
  if (sizeLe !== 348 && sizeBe !== 348) throw new DataError(where, `not a NIfTI-1 file (sizeof_hdr is ${sizeLe}, want 348)`);
  const magic = String.fromCharCode(...bytes.subarray(344, 347));
  if (magic === 'ni1') throw new DataError(where, 'is the header of a .hdr/.img pair; only single-file .nii/.nii.gz is read');
  if (magic !== 'n+1' || bytes[347] !== 0) throw new DataError(where, `wrong magic '${printable(bytes.subarray(344, 348))}' (want 'n+1')`);

  const raw = new NIFTI1();
  raw.readHeader(bytes.slice(0, 348).buffer);
  const le = raw.littleEndian;
  const srow = (row: number) => [0, 1, 2, 3].map((c) => view.getFloat32(280 + (row * 4 + c) * 4, le));
  const header: NiftiHeader = {
    littleEndian: le,
    dimInfo: raw.dim_info,
    dim: [...raw.dims],
    intentP1: raw.intent_p1,
    intentP2: raw.intent_p2,
    intentP3: raw.intent_p3,
    intentCode: raw.intent_code,
    datatype: raw.datatypeCode,
    bitpix: raw.numBitsPerVoxel,
    sliceStart: raw.slice_start,
    pixdim: [...raw.pixDims],
    voxOffset: raw.vox_offset,
    sclSlope: raw.scl_slope,
    sclInter: raw.scl_inter,
    sliceEnd: raw.slice_end,
    sliceCode: raw.slice_code,
    xyztUnits: raw.xyzt_units,
    calMax: raw.cal_max,
    calMin: raw.cal_min,
    sliceDuration: raw.slice_duration,
    toffset: raw.toffset,
    descrip: raw.description,
    auxFile: raw.aux_file,
    qformCode: raw.qform_code,
    sformCode: raw.sform_code,
    quaternB: raw.quatern_b,
    quaternC: raw.quatern_c,
    quaternD: raw.quatern_d,
    qoffsetX: raw.qoffset_x,
    qoffsetY: raw.qoffset_y,
    qoffsetZ: raw.qoffset_z,
    srowX: srow(0),
    srowY: srow(1),
    srowZ: srow(2),
    intentName: raw.intent_name,
  };
  checkHeader(header, where);
  return header;
}

function checkHeader(h: NiftiHeader, where: string): void {
  const ndim = h.dim[0]!;
  if (!(ndim >= 1 && ndim <= 7)) throw new DataError(where, `dim[0] is ${ndim}, want 1 to 7`);
  for (let i = 1; i <= ndim; i++) {
    if (!(h.dim[i]! >= 1)) throw new DataError(where, `dim[${i}] is ${h.dim[i]}, want at least 1`);
  }
  const type = datatypeByCode(h.datatype);
  if (typeof type === 'string') throw new DataError(where, type);
  if (h.bitpix !== type.bytes * 8) throw new DataError(where, `bitpix ${h.bitpix} does not match datatype ${type.name}`);
  if (!(h.voxOffset >= headerBytes) || !Number.isInteger(h.voxOffset)) {
    throw new DataError(where, `vox_offset ${h.voxOffset} is not a whole number of at least ${headerBytes}`);
  }
}

function printable(bytes: Uint8Array): string {
  return [...bytes].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/** The voxel datatype of a checked header. */
export function headerDatatype(h: NiftiHeader): Datatype {
  return datatypeByCode(h.datatype) as Datatype;
}

/** Image sizes dim[1..dim[0]]. */
export function headerShape(h: NiftiHeader): number[] {
  return h.dim.slice(1, h.dim[0]! + 1);
}

/** Voxel sizes pixdim[1..dim[0]] (mm for space, as xyzt_units says). */
export function headerSpacing(h: NiftiHeader): number[] {
  return h.pixdim.slice(1, h.dim[0]! + 1);
}

/** Number of voxels. */
export function headerVoxels(h: NiftiHeader): number {
  return headerShape(h).reduce((a, b) => a * b, 1);
}

/**
 * The (scl_slope, scl_inter) to apply to stored values. A slope of 0 or one
 * that is not finite means "no scaling" (nifti1.h; nibabel does the same).
 */
export function headerScaling(h: NiftiHeader): { slope: number; inter: number } {
  if (!Number.isFinite(h.sclSlope) || h.sclSlope === 0) return { slope: 1, inter: 0 };
  return { slope: h.sclSlope, inter: Number.isFinite(h.sclInter) ? h.sclInter : 0 };
}

/**
 * The 4x4 voxel-to-world matrix (row-major), as nibabel's get_best_affine:
 * the sform when sform_code > 0, else the qform when qform_code > 0, else a
 * base affine centred on the volume with x flipped (the Analyze convention).
 */
export function headerAffine(h: NiftiHeader): number[][] {
  if (h.sformCode > 0) return [h.srowX, h.srowY, h.srowZ, [0, 0, 0, 1]].map((r) => [...r]);
  const zooms = [1, 2, 3].map((i) => (i <= h.dim[0]! ? h.pixdim[i]! : 1));
  if (h.qformCode > 0) {
    const r = quaternionRotation(h.quaternB, h.quaternC, h.quaternD);
    const qfac = h.pixdim[0]! < 0 ? -1 : 1; // nifti1.h: pixdim[0] is +-1; 0 reads as 1
    const scale = [zooms[0]!, zooms[1]!, zooms[2]! * qfac];
    const offset = [h.qoffsetX, h.qoffsetY, h.qoffsetZ];
    return [
      ...[0, 1, 2].map((row) => [r[row]![0]! * scale[0]!, r[row]![1]! * scale[1]!, r[row]![2]! * scale[2]!, offset[row]!]),
      [0, 0, 0, 1],
    ];
  }
  const shape = [1, 2, 3].map((i) => (i <= h.dim[0]! ? h.dim[i]! : 1));
  const diag = [-zooms[0]!, zooms[1]!, zooms[2]!];
  return [
    ...[0, 1, 2].map((row) => [0, 1, 2].map((c) => (c === row ? diag[row]! : 0)).concat(-((shape[row]! - 1) / 2) * diag[row]!)),
    [0, 0, 0, 1],
  ];
}

/**
 * The rotation of quaternion (a, b, c, d) with a = sqrt(1 - b^2 - c^2 - d^2)
 * (nifti1.h, "METHOD 2"); a slightly negative 1 - |bcd|^2 from float32
 * rounding reads as a = 0, as nibabel reads it.
 */
function quaternionRotation(b: number, c: number, d: number): number[][] {
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  return [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
}

/** A header for a new volume: the given shape, spacing and affine (as sform and qform-free), no scaling. */
export function createHeader(options: { shape: number[]; spacing: number[]; affine: number[][]; datatype: Datatype; descrip?: string }): NiftiHeader {
  const { shape, spacing, affine, datatype } = options;
  const dim = [shape.length, ...shape];
  while (dim.length < 8) dim.push(1);
  const pixdim = [1, ...spacing];
  while (pixdim.length < 8) pixdim.push(0);
  return {
    littleEndian: true,
    dimInfo: 0,
    dim,
    intentP1: 0,
    intentP2: 0,
    intentP3: 0,
    intentCode: 0,
    datatype: datatype.code,
    bitpix: datatype.bytes * 8,
    sliceStart: 0,
    pixdim,
    voxOffset: headerBytes,
    sclSlope: 1,
    sclInter: 0,
    sliceEnd: 0,
    sliceCode: 0,
    xyztUnits: 2, // NIFTI_UNITS_MM
    calMax: 0,
    calMin: 0,
    sliceDuration: 0,
    toffset: 0,
    descrip: options.descrip ?? '',
    auxFile: '',
    qformCode: 0,
    sformCode: 2, // NIFTI_XFORM_ALIGNED_ANAT
    quaternB: 0,
    quaternC: 0,
    quaternD: 0,
    qoffsetX: 0,
    qoffsetY: 0,
    qoffsetZ: 0,
    srowX: [...affine[0]!],
    srowY: [...affine[1]!],
    srowZ: [...affine[2]!],
    intentName: '',
  };
}

/** The 352 bytes before the voxels (little-endian, no extensions). */
export function encodeHeader(h: NiftiHeader): Uint8Array {
  const bytes = new Uint8Array(headerBytes);
  const view = new DataView(bytes.buffer);
  const le = true;
  const text = (offset: number, length: number, s: string) => {
    const encoded = new TextEncoder().encode(s).subarray(0, length - 1); // keep a terminating NUL
    bytes.set(encoded, offset);
  };
  view.setInt32(0, 348, le);
  bytes[38] = 'r'.charCodeAt(0); // "regular", as nibabel writes it
  view.setUint8(39, h.dimInfo);
  h.dim.forEach((d, i) => view.setInt16(40 + 2 * i, d, le));
  view.setFloat32(56, h.intentP1, le);
  view.setFloat32(60, h.intentP2, le);
  view.setFloat32(64, h.intentP3, le);
  view.setInt16(68, h.intentCode, le);
  view.setInt16(70, h.datatype, le);
  view.setInt16(72, h.bitpix, le);
  view.setInt16(74, h.sliceStart, le);
  h.pixdim.forEach((p, i) => view.setFloat32(76 + 4 * i, p, le));
  view.setFloat32(108, h.voxOffset, le);
  view.setFloat32(112, h.sclSlope, le);
  view.setFloat32(116, h.sclInter, le);
  view.setInt16(120, h.sliceEnd, le);
  view.setUint8(122, h.sliceCode);
  view.setUint8(123, h.xyztUnits);
  view.setFloat32(124, h.calMax, le);
  view.setFloat32(128, h.calMin, le);
  view.setFloat32(132, h.sliceDuration, le);
  view.setFloat32(136, h.toffset, le);
  text(148, 80, h.descrip);
  text(228, 24, h.auxFile);
  view.setInt16(252, h.qformCode, le);
  view.setInt16(254, h.sformCode, le);
  view.setFloat32(256, h.quaternB, le);
  view.setFloat32(260, h.quaternC, le);
  view.setFloat32(264, h.quaternD, le);
  view.setFloat32(268, h.qoffsetX, le);
  view.setFloat32(272, h.qoffsetY, le);
  view.setFloat32(276, h.qoffsetZ, le);
  [h.srowX, h.srowY, h.srowZ].forEach((row, r) => row.forEach((v, c) => view.setFloat32(280 + (r * 4 + c) * 4, v, le)));
  text(328, 16, h.intentName);
  text(344, 4, 'n+1');
  return bytes; // bytes 348..351: extension flag 0, no extensions
}
