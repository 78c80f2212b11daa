/**
 * Row-major shapes: their size and equality (one definition each, for the ops, the backends and the
 * file formats alike), their strides, and the axis merging that backends' strided kernels share.
 */

/** Whether two shapes are the same, dimension by dimension. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`bad shape [${shape}]: sizes must be whole numbers >= 0`);
    n *= d;
  }
  return n;
}


/** Row-major strides of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/**
 * Drops size-1 axes and merges neighbouring axes that every stride list walks
 * as one (stride[d] == stride[d + 1] * shape[d + 1]), so that a kernel splits
 * its flat index into as few parts as possible and its innermost runs are as
 * long as possible: a same-shape binary op becomes rank 1, a channel bias
 * rank 2 or 3.
 */
export function mergeAxes(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const extent = shape[d]!;
    if (extent === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * extent)) {
      outShape[last]! *= extent;
      strides.forEach((s, k) => (outStrides[k]![last] = s[d]!));
    } else {
      outShape.push(extent);
      strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}
