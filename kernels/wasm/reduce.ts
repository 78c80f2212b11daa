// Sums along one axis, sums of GEMM split copies, and strided copies.
import { CopyEntry, CopyParams, ReduceParams, SumSplitsParams } from './params';
import { BLOCK, sumOf } from './sums';

/** y[o][i] = sum over r of x[o][r][i]. Items: rows o (inner == 1) or (o, chunk of innerChunk columns). */
export function reduceSum(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ReduceParams>(params);
  if (p.inner == 1) {
    for (let o = begin; o < end; o++) {
      store<f32>(p.y + (<usize>o << 2), <f32>sumOf(p.x + (<usize>(o * p.reduce) << 2), p.reduce));
    }
    return;
  }
  const chunks = (p.inner + p.innerChunk - 1) / p.innerChunk;
  const rowBytes = <usize>p.inner << 2;
  for (let item = begin; item < end; item++) {
    const o = item / chunks;
    const i0 = (item - o * chunks) * p.innerChunk;
    const i1 = min(p.inner, i0 + p.innerChunk);
    const y = p.y + (<usize>(o * p.inner) << 2);
    const x = p.x + <usize>(o * p.reduce) * rowBytes;
    memory.fill(y + (<usize>i0 << 2), 0, <usize>(i1 - i0) << 2);
    // Blocks of rows summed in f32 four columns at a time, then added to y.
    for (let r0 = 0; r0 < p.reduce; r0 += BLOCK) {
      const r1 = min(p.reduce, r0 + BLOCK);
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        let s = f32x4.splat(0);
        let at = x + <usize>r0 * rowBytes + (<usize>i << 2);
        for (let r = r0; r < r1; r++) {
          s = f32x4.add(s, v128.load(at));
          at += rowBytes;
        }
        const to = y + (<usize>i << 2);
        v128.store(to, f32x4.add(v128.load(to), s));
      }
      for (; i < i1; i++) {
        let s: f32 = 0;
        for (let r = r0; r < r1; r++) s += load<f32>(x + <usize>r * rowBytes + (<usize>i << 2));
        store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) + s);
      }
    }
  }
}

/** Chunks [begin, end) of y[i] = sum over s of x[s * stride + i]. */
export function sumSplits(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<SumSplitsParams>(params);
  const i1 = min(p.n, end * p.chunk);
  const strideBytes = <usize>p.stride << 2;
  let i = begin * p.chunk;
  for (; i + 4 <= i1; i += 4) {
    let at = p.x + (<usize>i << 2);
    let s = v128.load(at);
    for (let k = 1; k < p.splits; k++) {
      at += strideBytes;
      s = f32x4.add(s, v128.load(at));
    }
    v128.store(p.y + (<usize>i << 2), s);
  }
  for (; i < i1; i++) {
    let s: f32 = 0;
    for (let k = 0; k < p.splits; k++) s += load<f32>(p.x + (<usize>(k * p.stride + i) << 2));
    store<f32>(p.y + (<usize>i << 2), s);
  }
}

/** One innermost run of a copy: memory.copy when both strides are 1, a splat when the source stride is 0. */
function copyRun(src: usize, ss: i32, dst: usize, ds: i32, n: i32): void {
  if (ss == 1 && ds == 1) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  if (ss == 0 && ds == 1) {
    const v = v128.load32_splat(src);
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v);
    const value = load<f32>(src);
    for (; i < n; i++) store<f32>(dst + (<usize>i << 2), value);
    return;
  }
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>(i * ds) << 2), load<f32>(src + (<usize>(i * ss) << 2)));
}

/** Rows [begin, end) of a job of several strided copies, numbered across them (each entry gives its first). */
export function copy(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<CopyParams>(params);
  for (let k = 0; k < p.count; k++) {
    const e = p.table + <usize>k * offsetof<CopyEntry>();
    const entry = changetype<CopyEntry>(e);
    const from = max(begin, entry.firstRow), to = min(end, entry.firstRow + rowsOf(e));
    if (from < to) copyRows(e, from - entry.firstRow, to - entry.firstRow);
  }
}

/** Rows of a copy: the product of all its axes but the last. */
function rowsOf(e: usize): i32 {
  const r = changetype<CopyEntry>(e).rank;
  const shape = e + offsetof<CopyEntry>('shape0');
  let rows = 1;
  for (let d = 0; d < r - 1; d++) rows *= load<i32>(shape + (<usize>d << 2));
  return rows;
}

/** Rows [begin, end) (all axes but the last) of one strided copy. */
function copyRows(e: usize, begin: i32, end: i32): void {
  const p = changetype<CopyEntry>(e);
  const r = p.rank;
  const shape = e + offsetof<CopyEntry>('shape0');
  const srcStrides = e + offsetof<CopyEntry>('srcStride0');
  const dstStrides = e + offsetof<CopyEntry>('dstStride0');
  const n = load<i32>(shape + (<usize>(r - 1) << 2));
  const ss = load<i32>(srcStrides + (<usize>(r - 1) << 2));
  const ds = load<i32>(dstStrides + (<usize>(r - 1) << 2));
  for (let row = begin; row < end; row++) {
    let rest = row;
    let offSrc = 0, offDst = 0;
    for (let d = r - 2; d >= 0; d--) {
      const size = load<i32>(shape + (<usize>d << 2));
      const idx = rest % size;
      rest /= size;
      offSrc += idx * load<i32>(srcStrides + (<usize>d << 2));
      offDst += idx * load<i32>(dstStrides + (<usize>d << 2));
    }
    copyRun(p.src + (<usize>offSrc << 2), ss, p.dst + (<usize>offDst << 2), ds, n);
  }
}
