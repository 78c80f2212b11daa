/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header
 * length, a JSON header mapping each name to dtype, shape and byte range,
 * then the raw little-endian data. Only float32 ("F32") is written or read,
 * the engine's one dtype. Names are PyTorch state_dict names, so a file
 * loads with `safetensors.torch.load_file` into the same architecture.
 */
import type { StateEntry } from './nn/module.js';
import { sizeOf } from './strides.js';

export interface SafetensorsFile {
  tensors: Map<string, StateEntry>;
  /** The free-form string map under "__metadata__". */
  metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: ReadonlyMap<string, StateEntry>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, entry] of tensors) {
    if (entry.values.length !== sizeOf(entry.shape)) throw new Error(`encodeSafetensors: ${name} has shape [${entry.shape}] but ${entry.values.length} values`);
    const bytes = entry.values.length * 4;
    header[name] = { dtype: 'F32', shape: [...entry.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = JSON.stringify(header);
  // Data starts 8-byte aligned: pad by the header's UTF-8 length (a non-ASCII name has more bytes than characters).
  const padding = (8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8;
  const headerBytes = new TextEncoder().encode(json + ' '.repeat(padding));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const entry of tensors.values()) {
    for (let i = 0; i < entry.values.length; i++, at += 4) view.setFloat32(at, entry.values[i]!, true);
  }
  return out;
}

/**
 * Parses a safetensors file; `source` names it in every error. The header must be a JSON object
 * of entries, each checked before its values are read: F32, a shape of whole numbers >= 0, and a
 * byte range inside the data section that holds exactly that shape; metadata must be strings.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (bytes.length < 8) fail('too short to be a safetensors file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) fail(`header of ${headerLength} bytes runs past the end of the file (${bytes.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    return fail('header is not valid JSON');
  }
  if (!isPlainObject(header)) return fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataBytes = bytes.length - dataStart;
  const tensors = new Map<string, StateEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = readMetadata(raw, fail);
      continue;
    }
    const { shape, begin, count } = readEntry(name, raw, dataBytes, fail);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    tensors.set(name, { shape, values });
  }
  return { tensors, metadata };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One tensor's header entry, checked: its shape, where its data begins and how many floats it holds. */
function readEntry(name: string, raw: unknown, dataBytes: number, fail: (why: string) => never): { shape: number[]; begin: number; count: number } {
  if (!isPlainObject(raw)) return fail(`${name}: entry is not a JSON object`);
  if (raw.dtype !== 'F32') fail(`${name} has dtype ${String(raw.dtype)}; only F32 is supported`);
  const shape = raw.shape;
  if (!Array.isArray(shape)) return fail(`${name}: shape ${JSON.stringify(shape)} is not a list of sizes`);
  let count = 0;
  try {
    count = sizeOf(shape as number[]);
  } catch (e) {
    fail(`${name}: ${(e as Error).message}`);
  }
  const offsets = raw.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o))) {
    return fail(`${name}: data_offsets ${JSON.stringify(offsets)} are not two whole numbers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin < 0 || end < begin) fail(`${name}: data_offsets [${begin}, ${end}] are not a byte range (0 <= begin <= end)`);
  if (end - begin !== count * 4) fail(`${name}: shape [${shape}] needs ${count * 4} bytes, offsets give ${end - begin}`);
  if (end > dataBytes) fail(`${name}: data runs past the end of the file (truncated?)`);
  return { shape: shape as number[], begin, count };
}

function readMetadata(raw: unknown, fail: (why: string) => never): Record<string, string> {
  if (!isPlainObject(raw)) return fail('__metadata__ is not a JSON object');
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') fail(`__metadata__.${key} is not a string`);
  }
  return raw as Record<string, string>;
}
