import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeSafetensors, encodeSafetensors } from '../../engine/index.js';

/** A parser written from the format's description, independent of the engine's. */
function parseIndependently(bytes: Uint8Array): Record<string, { shape: number[]; values: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  const data = Buffer.from(bytes.subarray(8 + n));
  const out: Record<string, { shape: number[]; values: number[] }> = {};
  for (const [name, info] of Object.entries<any>(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = info.data_offsets;
    const values: number[] = [];
    for (let o = b; o < e; o += 4) values.push(data.readFloatLE(o));
    out[name] = { shape: info.shape, values };
  }
  return out;
}

const entries = new Map([
  ['final.model.1.weight', { shape: [1, 2, 1, 1], values: Float32Array.from([0.5, -2]) }],
  ['final.model.1.bias', { shape: [1], values: Float32Array.from([3.25]) }],
]);

test('safetensors files read back with an independent parser', () => {
  const bytes = encodeSafetensors(entries, { format: 'pt' });
  const parsed = parseIndependently(bytes);
  assert.equal(parsed['final.model.1.weight'], { shape: [1, 2, 1, 1], values: [0.5, -2] });
  assert.equal(parsed['final.model.1.bias'], { shape: [1], values: [3.25] });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.is((8 + headerLength) % 8, 0, 'data is 8-byte aligned');
});

test('safetensors round trip keeps names, shapes, values and metadata', () => {
  const back = decodeSafetensors(encodeSafetensors(entries, { epoch: '3' }));
  assert.equal(back.metadata, { epoch: '3' });
  assert.equal([...back.tensors.keys()], [...entries.keys()]);
  assert.equal([...back.tensors.get('final.model.1.weight')!.values], [0.5, -2]);
});

test('a truncated safetensors file is a one-line error naming the file', () => {
  const bytes = encodeSafetensors(entries);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 3), 'ckpt.safetensors'), /ckpt\.safetensors: .*truncated/);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, 4), 'x'), /too short/);
});

test.run();
