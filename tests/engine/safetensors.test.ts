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

test('data starts 8-byte aligned also when names and metadata are not ASCII', () => {
  for (const note of ['Zürich', 'Zürich!', '脑 MRI', '']) {
    const bytes = encodeSafetensors(new Map([['gewicht.ä', { shape: [1], values: Float32Array.of(1) }]]), { note });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.is((8 + headerLength) % 8, 0, `metadata ${note}`);
    assert.equal(decodeSafetensors(bytes).metadata, { note });
  }
});

/** A file with this header (JSON text, or a value to stringify) and these data bytes. */
function file(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('a malformed header is a one-line error naming the file and the entry, before any value is read', () => {
  const f32 = (shape: unknown, offsets: unknown) => ({ w: { dtype: 'F32', shape, data_offsets: offsets } });
  const cases: [string, Uint8Array, RegExp][] = [
    ['header null', file('null'), /header is not a JSON object/],
    ['header a list', file('[1,2]'), /header is not a JSON object/],
    ['entry null', file({ w: null }), /w: entry is not a JSON object/],
    ['dtype F16', file({ w: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /w has dtype F16; only F32/],
    ['shape a string', file(f32('ab', [0, 4]), new Uint8Array(4)), /w: shape "ab" is not a list of sizes/],
    ['negative sizes', file(f32([-1, -1], [0, 4]), new Uint8Array(4)), /w: bad shape \[-1,-1\]: sizes must be whole numbers >= 0/],
    ['fractional sizes', file(f32([0.5, 2], [0, 4]), new Uint8Array(4)), /w: bad shape \[0.5,2\]/],
    ['offsets missing', file(f32([1], undefined), new Uint8Array(4)), /w: data_offsets undefined are not two whole numbers/],
    ['offsets fractional', file(f32([1], [0.5, 4.5]), new Uint8Array(8)), /w: data_offsets \[0.5,4.5\] are not two whole numbers/],
    ['negative offset into the header', file(f32([2], [-8, 0])), /w: data_offsets \[-8, 0\] are not a byte range/],
    ['offsets reversed', file(f32([0], [4, 0]), new Uint8Array(4)), /w: data_offsets \[4, 0\] are not a byte range/],
    ['range past the end', file(f32([2], [4, 12]), new Uint8Array(8)), /w: data runs past the end of the file/],
    ['size and range disagree', file(f32([3], [0, 8]), new Uint8Array(8)), /w: shape \[3\] needs 12 bytes, offsets give 8/],
    ['metadata a number', file({ __metadata__: 7 }), /__metadata__ is not a JSON object/],
    ['metadata value a number', file({ __metadata__: { epoch: 3 } }), /__metadata__.epoch is not a string/],
  ];
  for (const [what, bytes, message] of cases) {
    let error: Error | null = null;
    try {
      decodeSafetensors(bytes, 'ckpt.safetensors');
    } catch (e) {
      error = e as Error;
    }
    assert.ok(error, `${what}: accepted`);
    assert.ok(error!.message.startsWith('ckpt.safetensors: '), `${what}: ${error!.message}`);
    assert.ok(message.test(error!.message), `${what}: ${error!.message}`);
    assert.not.match(error!.message, /\n/);
  }
  assert.equal(decodeSafetensors(file(f32([0, 3], [0, 0])), 'x').tensors.get('w'), { shape: [0, 3], values: new Float32Array(0) });
});

test('an entry whose values do not fill its shape is refused when written', () => {
  assert.throws(() => encodeSafetensors(new Map([['w', { shape: [3], values: Float32Array.of(1) }]])), /^encodeSafetensors: w has shape \[3\] but 1 values$/);
});

test.run();
