/** Ops that move values without arithmetic: reshape, broadcast, slice, concatenation, padding. */
import type { CopyGeometry } from '../backend.js';
import { state } from '../state.js';
import { empty, type Tensor } from '../tensor.js';
import { record } from '../tape.js';
import { contiguousStrides, sizeOf } from '../strides.js';
import { broadcastShapes, broadcastStrides, sumTo } from './broadcast.js';

/** The same values with another shape (one -1 is inferred); shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.size, x);
  const y = x.alias(target);
  // A per-sample gradient (see wantsPerSample) arrives with a leading batch axis and keeps it.
  return record('reshape', y, [x], (dy) => [reshape(dy, dy.size === x.size ? x.shape : [dy.shape[0]!, ...x.shape])]);
}

function inferShape(shape: readonly number[], size: number, x: Tensor): number[] {
  const unknown = shape.indexOf(-1);
  const out = [...shape];
  if (unknown >= 0) out[unknown] = size / sizeOf(shape.filter((_, i) => i !== unknown));
  if (!Number.isInteger(out[unknown] ?? 0) || sizeOf(out) !== size) throw new Error(`reshape: ${x} cannot become [${shape}]`);
  return out;
}

function copyInto(src: Tensor, dst: Tensor, g: CopyGeometry): void {
  state.backend.copy([{ src: src.handle, dst: dst.handle, g }]);
}

/** x repeated along its size-1 axes (and new leading axes) to `shape`. */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes(x.shape, shape);
  if (target.some((d, i) => d !== shape[i])) throw new Error(`expandTo: ${x} cannot expand to [${shape}]`);
  const y = empty(shape);
  copyInto(x, y, {
    shape,
    srcStrides: broadcastStrides(x.shape, shape),
    srcOffset: 0,
    dstStrides: contiguousStrides(shape),
    dstOffset: 0,
  });
  return record('expandTo', y, [x], (dy) => [sumTo(dy, x.shape)]);
}

/** The block of x starting at `begin` with extent `size` (per axis; -1 means to the end). */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  if (begin.length !== x.rank || size.length !== x.rank) throw new Error(`slice: begin and size need ${x.rank} entries for ${x}`);
  const extent = size.map((s, i) => (s === -1 ? x.shape[i]! - begin[i]! : s));
  if (![...begin, ...extent].every(Number.isInteger)) throw new Error(`slice: begin [${begin}] and size [${size}] must be whole numbers`);
  extent.forEach((s, i) => {
    if (begin[i]! < 0 || s < 0 || begin[i]! + s > x.shape[i]!) throw new Error(`slice: [${begin}] + [${extent}] is outside ${x}`);
  });
  const [y] = slices(x, [{ begin, extent }]);
  return record('slice', y!, [x], (dy) => [placeInto(dy, x.shape, begin)]);
}

/** Blocks of x (each a start and an extent per axis), copied in one backend call; not recorded. */
function slices(x: Tensor, blocks: readonly { begin: readonly number[]; extent: readonly number[] }[]): Tensor[] {
  const strides = contiguousStrides(x.shape);
  const ys = blocks.map(({ extent }) => empty(extent));
  state.backend.copy(
    blocks.map(({ begin, extent }, k) => ({
      src: x.handle,
      dst: ys[k]!.handle,
      g: { shape: extent, srcStrides: strides, srcOffset: begin.reduce((o, b, i) => o + b * strides[i]!, 0), dstStrides: contiguousStrides(extent), dstOffset: 0 },
    })),
  );
  return ys;
}

/** A zero tensor of `shape` holding `part` at offset `begin`: the gradient of slice, and zero padding. */
function placeInto(part: Tensor, shape: readonly number[], begin: readonly number[]): Tensor {
  const y = empty(shape);
  const strides = contiguousStrides(shape);
  copyInto(part, y, {
    shape: part.shape,
    srcStrides: contiguousStrides(part.shape),
    srcOffset: 0,
    dstStrides: strides,
    dstOffset: begin.reduce((o, b, i) => o + b * strides[i]!, 0),
  });
  return y;
}

/** Concatenation along `dim`; the other axes must agree. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('cat: no tensors');
  const first = tensors[0]!;
  if (!Number.isInteger(dim) || dim < -first.rank || dim >= first.rank) throw new Error(`cat: dim ${dim} is out of range for ${first}`);
  const axis = dim < 0 ? dim + first.rank : dim;
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw new Error(`cat: ${t} does not match ${first} outside axis ${axis}`);
    }
  }
  const shape = [...first.shape];
  shape[axis] = tensors.reduce((n, t) => n + t.shape[axis]!, 0);
  const y = empty(shape);
  const strides = contiguousStrides(shape);
  const begins: number[][] = [];
  let offset = 0;
  for (const t of tensors) {
    begins.push(shape.map((_, i) => (i === axis ? offset : 0)));
    offset += t.shape[axis]!;
  }
  // Every part in one backend call, forward and backward.
  state.backend.copy(
    tensors.map((t, k) => ({
      src: t.handle,
      dst: y.handle,
      g: { shape: t.shape, srcStrides: contiguousStrides(t.shape), srcOffset: 0, dstStrides: strides, dstOffset: begins[k]![axis]! * strides[axis]! },
    })),
  );
  return record('cat', y, tensors, (dy) => {
    const wanted = tensors.map((t, k) => (t.requiresGrad ? { begin: begins[k]!, extent: t.shape } : null));
    const parts = slices(dy, wanted.filter((b) => b !== null));
    return wanted.map((b) => (b ? parts.shift()! : null));
  });
}

export type PadMode = 'zeros' | 'reflect';

/**
 * Pads the last two axes of an NCHW tensor by [left, right, top, bottom], as
 * torch.nn.functional.pad; 'reflect' mirrors without repeating the edge.
 */
export function pad(x: Tensor, padding: readonly [number, number, number, number], mode: PadMode = 'zeros'): Tensor {
  if (x.rank !== 4) throw new Error(`pad: needs an NCHW tensor, got ${x}`);
  if (!padding.every((p) => Number.isInteger(p) && p >= 0)) throw new Error(`pad: padding must be whole numbers >= 0, got [${padding}]`);
  const [left, right, top, bottom] = padding;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const outShape = [n, c, h + top + bottom, w + left + right];
  if (mode === 'zeros') {
    const y = placeInto(x, outShape, [0, 0, top, left]);
    return record('pad', y, [x], (dy) => [slice(dy, [0, 0, top, left], x.shape)]);
  }
  if (Math.max(left, right) >= w || Math.max(top, bottom) >= h) {
    throw new Error(`pad: reflect padding [${padding}] must be smaller than the input's ${h}x${w}`);
  }
  const g = { planes: n * c, inH: h, inW: w, top, bottom, left, right };
  const y = empty(outShape);
  state.backend.padReflect(x.handle, y.handle, g);
  return record('padReflect', y, [x], (dy) => {
    const dx = empty(x.shape);
    state.backend.padReflectBackward(dy.handle, dx.handle, g);
    return [dx];
  });
}
