/**
 * What every piece of wasm glue works with: the heap, the thread pool, the
 * module's exports, the parameter block and the per-thread scratch, plus
 * temporary blocks that live until the current backend call returns.
 */
import type { Heap } from './heap.js';
import type { ThreadPool } from './pool.js';

/** The module's exports that the glue calls directly, outside the pool. */
export interface KernelExports {
  heapBase(): number;
  /** Whether this build fuses multiply-adds (relaxed SIMD). */
  fusedMultiplyAdd(): number;
  fill(y: number, n: number, value: number): void;
}

export class WasmContext {
  private readonly temps: [number, number][] = [];

  constructor(
    readonly heap: Heap,
    readonly pool: ThreadPool,
    readonly exports: KernelExports,
    /** The parameter block's byte offset (one job at a time, so one block). */
    readonly params: number,
    /** Per-thread GEMM scratch: `scratchStride` floats for each thread. */
    readonly scratch: number,
    readonly scratchStride: number,
  ) {}

  /** A block of `bytes` bytes freed when the backend call that asked for it returns. */
  temp(bytes: number): number {
    const at = this.heap.alloc(bytes);
    this.temps.push([at, bytes]);
    return at;
  }

  /** A temporary copy of an integer table. */
  table(values: ArrayLike<number>): number {
    const at = this.temp(values.length * 4);
    this.heap.i32.set(values, at >> 2);
    return at;
  }

  /** Runs `fn`, then frees the temporary blocks it asked for. */
  scoped<T>(fn: () => T): T {
    const mark = this.temps.length;
    try {
      return fn();
    } finally {
      while (this.temps.length > mark) {
        const [at, bytes] = this.temps.pop()!;
        this.heap.release(at, bytes);
      }
    }
  }

  /** y[0..n) = value. */
  fill(y: number, n: number, value: number): void {
    this.exports.fill(y, n, value);
  }
}
