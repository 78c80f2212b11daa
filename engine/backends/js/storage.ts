import { HandleError, type Handle } from '../../backend.js';
import { sizeOf } from '../../strides.js';

/** The js backend's storage: a plain Float32Array. */
export class JsHandle implements Handle {
  freed = false;
  constructor(readonly data: Float32Array) {}
  get size(): number {
    return this.data.length;
  }
}

/** The array behind a handle, refusing freed handles and other backends' handles. */
export function arr(h: Handle): Float32Array {
  if (!(h instanceof JsHandle)) throw new HandleError('js backend: handle belongs to another backend');
  if (h.freed) throw new HandleError('js backend: handle used after free');
  return h.data;
}

/** Flat offset of the multi-index `idx` under `strides`. */
export function offsetOf(idx: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < idx.length; d++) o += idx[d]! * strides[d]!;
  return o;
}

/** Visits every multi-index of `shape` in row-major order. */
export function forEachIndex(shape: readonly number[], visit: (idx: number[]) => void): void {
  const total = sizeOf(shape);
  const idx = shape.map(() => 0);
  for (let flat = 0; flat < total; flat++) {
    visit(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}
