/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header
 * length, a JSON header mapping each name to dtype, shape and byte range,
 * then the raw little-endian data. Only float32 ("F32") is written or read,
 * the engine's one dtype. Names are PyTorch state_dict names, so a file
 * loads with `safetensors.torch.load_file` into the same architecture.
 */
import type { StateEntry } from './nn/module.js';

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
    const bytes = entry.values.length * 4;
    header[name] = { dtype: 'F32', shape: [...entry.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // data starts 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
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

/** Parses a safetensors file; `source` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (bytes.length < 8) fail('too short to be a safetensors file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) fail(`header of ${headerLength} bytes runs past the end of the file (${bytes.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch {
    return fail('header is not valid JSON');
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, StateEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (info.dtype !== 'F32') fail(`${name} has dtype ${info.dtype}; only F32 is supported`);
    const shape = info.shape ?? fail(`${name} has no shape`);
    const [begin, end] = info.data_offsets ?? fail(`${name} has no data_offsets`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4) fail(`${name}: shape [${shape}] needs ${count * 4} bytes, offsets give ${end - begin}`);
    if (dataStart + end > bytes.length) fail(`${name}: data runs past the end of the file (truncated?)`);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    tensors.set(name, { shape, values });
  }
  return { tensors, metadata };
}
