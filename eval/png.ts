/**
 * A minimal PNG encoder: 8-bit grayscale or RGB, no interlace, one IDAT
 * chunk compressed with fflate's zlib. Each row gets the PNG filter (None,
 * Sub, Up, Average, Paeth) with the smallest sum of absolute byte values,
 * libpng's heuristic. Spec: W3C PNG (Second Edition), sections 5, 9, 11.
 */
import { zlibSync } from 'fflate';

/** A raster of 8-bit samples, row-major, channels interleaved (RGBRGB...). */
export interface RasterImage {
  width: number;
  height: number;
  /** 1: grayscale, 3: RGB. */
  channels: 1 | 3;
  /** width * height * channels bytes. */
  pixels: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOR_TYPE = { 1: 0, 3: 2 } as const; // PNG colour types: 0 greyscale, 2 truecolour

/** The PNG file bytes of an image. */
export function encodePng(image: RasterImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new Error(`encodePng: bad size ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`encodePng: ${channels} channels; only 1 (gray) or 3 (RGB)`);
  if (pixels.length !== width * height * channels) {
    throw new Error(`encodePng: ${pixels.length} bytes for a ${width}x${height}x${channels} image (want ${width * height * channels})`);
  }

  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, COLOR_TYPE[channels], 0, 0, 0], 8); // bit depth, colour type, deflate, adaptive filters, no interlace

  const chunks = [chunk('IHDR', header), chunk('IDAT', zlibSync(filterRows(image), { level: 9 })), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(SIGNATURE.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(SIGNATURE, 0);
  let offset = SIGNATURE.length;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Each row as its filter-type byte followed by the filtered bytes. */
function filterRows({ width, height, channels, pixels }: RasterImage): Uint8Array {
  const stride = width * channels;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const zeros = new Uint8Array(stride);
  for (let r = 0; r < height; r++) {
    const row = pixels.subarray(r * stride, (r + 1) * stride);
    const above = r > 0 ? pixels.subarray((r - 1) * stride, r * stride) : zeros;
    let best = Infinity;
    for (let type = 0; type <= 4; type++) {
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const left = i >= channels ? row[i - channels]! : 0;
        const upLeft = i >= channels ? above[i - channels]! : 0;
        const v = (row[i]! - predict(type, left, above[i]!, upLeft)) & 0xff;
        candidate[i] = v;
        cost += v < 128 ? v : 256 - v; // the byte read as signed, libpng's measure
      }
      if (cost < best) {
        best = cost;
        out[r * (stride + 1)] = type;
        out.set(candidate, r * (stride + 1) + 1);
      }
    }
  }
  return out;
}

/** The PNG filter predictors (spec section 9.2) from left, above, upper-left. */
function predict(type: number, left: number, up: number, upLeft: number): number {
  switch (type) {
    case 0:
      return 0;
    case 1:
      return left;
    case 2:
      return up;
    case 3:
      return (left + up) >> 1;
    default:
      return paeth(left, up, upLeft);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, reflected polynomial 0xedb88320), as PNG chunks use it. */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
