/**
 * The allocator inside the WebAssembly memory: blocks of 64-byte multiples
 * (cache-line aligned), best fit from an address-ordered free list whose
 * neighbours are merged on release, else from the top, growing the memory.
 * A loop that frees what it allocates therefore runs in constant memory.
 * Memory growth replaces the JavaScript views, so always reach the memory
 * through `f32` / `i32`, never through a view kept across an allocation.
 */

const alignment = 64;
const pageBytes = 65536;
/** Bytes past the top that stay inside the memory, so that a kernel may read a few floats past its last block. */
const slack = 4096;

export class Heap {
  private top: number;
  /** Free blocks, sorted by offset; none touches another or the top. */
  private readonly freeOffsets: number[] = [];
  private readonly freeSizes: number[] = [];
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maximumBytes: number,
  ) {
    this.top = Math.ceil(base / alignment) * alignment;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
    this.reserve(this.top);
  }

  get f32(): Float32Array {
    return this.f32View;
  }

  get i32(): Int32Array {
    return this.i32View;
  }

  /** The memory's current size in bytes. */
  get capacity(): number {
    return this.f32View.byteLength;
  }

  /** A block of at least `bytes` bytes (contents undefined); returns its byte offset. */
  alloc(bytes: number): number {
    const size = Math.max(alignment, Math.ceil(bytes / alignment) * alignment);
    let best = -1;
    for (let i = 0; i < this.freeSizes.length; i++) {
      const s = this.freeSizes[i]!;
      if (s >= size && (best < 0 || s < this.freeSizes[best]!)) {
        best = i;
        if (s === size) break;
      }
    }
    if (best >= 0) {
      const offset = this.freeOffsets[best]!;
      if (this.freeSizes[best] === size) {
        this.freeOffsets.splice(best, 1);
        this.freeSizes.splice(best, 1);
      } else {
        this.freeOffsets[best] = offset + size;
        this.freeSizes[best]! -= size;
      }
      return offset;
    }
    // Grow before moving the top, so a refused block leaves the heap as it was.
    const offset = this.top;
    this.reserve(offset + size);
    this.top = offset + size;
    return offset;
  }

  /** Returns a block from alloc(bytes) to the free list. */
  release(offset: number, bytes: number): void {
    let size = Math.max(alignment, Math.ceil(bytes / alignment) * alignment);
    let start = offset;
    // First free block after this one.
    let lo = 0;
    let hi = this.freeOffsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeOffsets[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.freeOffsets.length && this.freeOffsets[lo] === start + size) {
      size += this.freeSizes[lo]!;
      this.freeOffsets.splice(lo, 1);
      this.freeSizes.splice(lo, 1);
    }
    if (lo > 0 && this.freeOffsets[lo - 1]! + this.freeSizes[lo - 1]! === start) {
      lo--;
      start = this.freeOffsets[lo]!;
      size += this.freeSizes[lo]!;
      this.freeOffsets.splice(lo, 1);
      this.freeSizes.splice(lo, 1);
    }
    if (start + size === this.top) {
      this.top = start;
      return;
    }
    this.freeOffsets.splice(lo, 0, start);
    this.freeSizes.splice(lo, 0, size);
  }

  /** Grows the memory (by at least an eighth, to grow rarely) until top + slack fits. */
  private reserve(top: number): void {
    const needed = top + slack;
    const have = this.memory.buffer.byteLength;
    if (needed <= have) return;
    if (needed > this.maximumBytes) {
      throw new Error(`wasm backend: out of memory: needs ${mb(needed)} MB, the maximum is ${mb(this.maximumBytes)} MB`);
    }
    const pages = Math.ceil((needed - have) / pageBytes);
    const extra = Math.min(Math.max(pages, Math.ceil(have / pageBytes / 8)), (this.maximumBytes - have) / pageBytes);
    this.memory.grow(extra);
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
