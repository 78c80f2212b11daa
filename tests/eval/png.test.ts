import { inflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32, encodePng, type RasterImage } from '../../eval/png.js';
import { Rng } from '../../engine/index.js';

/** Bitwise CRC-32, no table: an independent check of the encoder's. */
function crcBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

interface Decoded extends RasterImage {
  chunkTypes: string[];
  filterTypes: Set<number>;
}

/** A minimal PNG decoder (8-bit gray / RGB, no interlace) written from the spec, checking every CRC. */
function decodePng(file: Uint8Array): Decoded {
  assert.equal([...file.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'signature');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const chunkTypes: string[] = [];
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, colorType = -1;
  for (let at = 8; at < file.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...file.subarray(at + 4, at + 8));
    const data = file.subarray(at + 8, at + 8 + length);
    assert.is(view.getUint32(at + 8 + length), crcBitwise(file.subarray(at + 4, at + 8 + length)), `${type} CRC`);
    chunkTypes.push(type);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      assert.equal([...data.subarray(8)], [8, data[9]!, 0, 0, 0], 'bit depth 8, deflate, filter 0, no interlace');
      colorType = data[9]!;
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  assert.ok(colorType === 0 || colorType === 2, `colour type ${colorType}`);
  const channels = colorType === 0 ? 1 : 3;
  const raw = inflateSync(Buffer.concat(idat)); // node's zlib, not fflate
  const stride = width * channels;
  assert.is(raw.length, height * (stride + 1), 'inflated size');
  const pixels = new Uint8Array(width * height * channels);
  const filterTypes = new Set<number>();
  for (let r = 0; r < height; r++) {
    const type = raw[r * (stride + 1)]!;
    filterTypes.add(type);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? pixels[r * stride + i - channels]! : 0;
      const b = r > 0 ? pixels[(r - 1) * stride + i]! : 0;
      const c = r > 0 && i >= channels ? pixels[(r - 1) * stride + i - channels]! : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const predictor = [0, a, b, Math.floor((a + b) / 2), pa <= pb && pa <= pc ? a : pb <= pc ? b : c][type];
      assert.ok(predictor !== undefined, `row ${r}: filter type ${type}`);
      pixels[r * stride + i] = (raw[r * (stride + 1) + 1 + i]! + predictor!) & 0xff;
    }
  }
  return { width, height, channels, pixels, chunkTypes, filterTypes };
}

function roundTrip(image: RasterImage): Decoded {
  const decoded = decodePng(encodePng(image));
  assert.equal([decoded.width, decoded.height, decoded.channels], [image.width, image.height, image.channels]);
  assert.equal(decoded.chunkTypes, ['IHDR', 'IDAT', 'IEND']);
  assert.ok(Buffer.from(decoded.pixels).equals(Buffer.from(image.pixels)), 'pixels survive the round trip');
  return decoded;
}

test('crc32 matches the standard check value and a bitwise CRC', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.is(crc32(new TextEncoder().encode('IEND')), 0xae426082); // every PNG's last four bytes
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
  assert.is(crc32(bytes), crcBitwise(bytes));
});

test('grayscale 13x7 random bytes round-trip', () => {
  const rng = new Rng(5);
  roundTrip({ width: 13, height: 7, channels: 1, pixels: Uint8Array.from({ length: 91 }, () => rng.int(256)) });
});

test('RGB 9x5 random bytes round-trip', () => {
  const rng = new Rng(6);
  roundTrip({ width: 9, height: 5, channels: 3, pixels: Uint8Array.from({ length: 135 }, () => rng.int(256)) });
});

test('1x1 grayscale and RGB round-trip', () => {
  roundTrip({ width: 1, height: 1, channels: 1, pixels: Uint8Array.of(200) });
  roundTrip({ width: 1, height: 1, channels: 3, pixels: Uint8Array.of(1, 2, 3) });
});

test('a structured image uses several filter types and every one decodes', () => {
  const width = 64;
  const height = 48;
  const rng = new Rng(7);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const band = Math.floor(y / 12);
      pixels[y * width + x] =
        band === 0 ? x * 4 // horizontal ramp: Sub
        : band === 1 ? (x * 37) & 0xff // repeats the row above: Up
        : band === 2 ? (x + y) * 3 // diagonal: Paeth or Average
        : rng.int(256);
    }
  }
  const decoded = roundTrip({ width, height, channels: 1, pixels });
  assert.ok(decoded.filterTypes.size >= 3, `filter types used: ${[...decoded.filterTypes]}`);
});

test('smooth images compress well below their raw size', () => {
  const width = 128;
  const pixels = Uint8Array.from({ length: width * width }, (_, i) => Math.round(127 + 120 * Math.sin((i % width) / 9) * Math.cos(i / width / 13)));
  const file = encodePng({ width, height: width, channels: 1, pixels });
  assert.ok(file.length < pixels.length / 3, `${file.length} bytes for ${pixels.length} pixels`);
});

test('bad input is refused with the sizes named', () => {
  assert.throws(() => encodePng({ width: 2, height: 2, channels: 1, pixels: new Uint8Array(3) }), /3 bytes for a 2x2x1 image \(want 4\)/);
  assert.throws(() => encodePng({ width: 0, height: 2, channels: 1, pixels: new Uint8Array(0) }), /bad size 0x2/);
  assert.throws(() => encodePng({ width: 1, height: 1, channels: 4 as 3, pixels: new Uint8Array(4) }), /4 channels/);
});

test.run();
