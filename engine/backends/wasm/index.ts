/**
 * The wasm backend: AssemblyScript SIMD kernels (kernels/wasm) on one shared
 * WebAssembly.Memory, run by the calling thread and threads - 1 workers.
 * Handles are blocks of that memory from its own allocator (heap.ts).
 * Needs SharedArrayBuffer: in a browser, a page served cross-origin isolated
 * (COOP: same-origin, COEP: require-corp).
 */
import {
  BackendUnavailableError, HandleError,
  type Activation, type AdamEntry, type AdamStep, type Backend, type ClippedSumGeometry, type RandomKey, type BinaryOp, type BroadcastGeometry, type ConvGeometry, type CopyJob, type FilterGradOptions, type Handle, type LossOp, type MatmulGeometry,
  type MemoryInfo, type NormGeometry, type PadGeometry, type PoolGeometry, type ReduceGeometry, type UnaryOp, type UpsampleGeometry,
} from '../../backend.js';
import { platform } from '../../platform.js';
import { WasmContext, type KernelExports } from './context.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import { matmul, scratchFloats } from './gemm.js';
import { Heap } from './heap.js';
import { checkBuild, paramsBytes } from './params.js';
import { ThreadPool } from './pool.js';
import * as dp from './dp.js';
import * as norm from './norm.js';
import * as loss from './loss.js';
import { adam } from './optim.js';
import { filterGradients } from '../filter-grad.js';
import { kernelTable } from './protocol.js';
import { randomNormal } from './random.js';
import * as resample from './resample.js';

export interface WasmOptions {
  /** Threads that run kernels, the calling one included (default: all cores). */
  threads?: number;
  /** The compiled kernels (default: the platform's). */
  module?: WebAssembly.Module;
}

/** The memory limits the module declares (asconfig.json): 16 MiB at first, at most 4 GiB. */
const initialPages = 256;
const maximumPages = 65536;
/** Where a host cannot reserve 4 GiB of shared memory (32-bit browsers), 1 GiB. */
const fallbackMaximumPages = 16384;

/** The shared memory and its maximum in bytes. */
function sharedMemory(): { memory: WebAssembly.Memory; maximumBytes: number } {
  try {
    return { memory: new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: true }), maximumBytes: maximumPages * 65536 };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { memory: new WebAssembly.Memory({ initial: initialPages, maximum: fallbackMaximumPages, shared: true }), maximumBytes: fallbackMaximumPages * 65536 };
  }
}

const shared = new Map<number, Promise<WasmBackend>>();

class WasmHandle implements Handle {
  freed = false;
  constructor(
    readonly owner: WasmBackend,
    /** Byte offset in the shared memory. */
    readonly at: number,
    readonly size: number,
  ) {}
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  /** For engine/backends/filter-grad.ts: element by element, an add may write over its first operand. */
  readonly addsInPlace = true;
  /** The key of sharedWasmBackend's cache that holds this backend, if any. */
  private sharedAs: number | undefined;
  private live = 0;
  private bytes = 0;

  private constructor(
    private readonly heap: Heap,
    private readonly pool: ThreadPool,
    private readonly ctx: WasmContext,
  ) {}

  /**
   * The backend with this many threads, made once: switching backends back
   * and forth keeps its tensors and starts no new threads.
   */
  static shared(options: WasmOptions = {}): Promise<WasmBackend> {
    const threads = options.threads ?? platform().cores();
    let b = shared.get(threads);
    if (!b) {
      b = WasmBackend.create({ threads }).then((created) => {
        created.sharedAs = threads;
        return created;
      });
      shared.set(threads, b);
      b.catch(() => shared.delete(threads));
    }
    return b;
  }

  static async create(options: WasmOptions = {}): Promise<WasmBackend> {
    if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
      throw new BackendUnavailableError('WebAssembly threads need SharedArrayBuffer: serve the page cross-origin isolated (COOP/COEP)');
    }
    const threads = options.threads ?? platform().cores();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`wasm backend: threads must be a whole number >= 1, got ${threads}`);
    const module = await (options.module ? Promise.resolve(options.module) : platform().wasmModule())
      .catch((e: unknown) => {
        throw new BackendUnavailableError(`cannot load the WebAssembly kernels: ${e instanceof Error ? e.message : String(e)}`);
      });
    const { memory, maximumBytes } = sharedMemory();
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    checkBuild(instance.exports);
    const exports = instance.exports as unknown as KernelExports;
    const heap = new Heap(memory, exports.heapBase(), maximumBytes);
    const pool = await ThreadPool.start(module, memory, kernelTable(instance.exports), threads);
    const params = heap.alloc(paramsBytes);
    const scratch = heap.alloc(threads * scratchFloats * 4);
    return new WasmBackend(heap, pool, new WasmContext(heap, pool, exports, params, scratch, scratchFloats));
  }

  get threads(): number {
    return this.pool.threads;
  }

  describe(): string {
    const t = this.pool.threads;
    const simd = this.ctx.exports.fusedMultiplyAdd() ? 'relaxed SIMD (fused multiply-add)' : 'SIMD';
    return `WebAssembly ${simd} kernels on ${t} thread${t === 1 ? '' : 's'}, ${(this.heap.capacity / 2 ** 20).toFixed(0)} MiB of memory`;
  }

  /** Ends the worker threads; the backend must not be used afterwards. */
  destroy(): void {
    this.pool.stop();
    if (this.sharedAs !== undefined) shared.delete(this.sharedAs);
  }

  /** The shared memory's size in bytes: grows when the live blocks need it, never shrinks. */
  get capacity(): number {
    return this.heap.capacity;
  }

  private at(h: Handle): number {
    if (!(h instanceof WasmHandle) || h.owner !== this) throw new HandleError('wasm backend: handle belongs to another backend');
    if (h.freed) throw new HandleError('wasm backend: handle used after free');
    return h.at;
  }

  /** A handle's byte offset, or 0 (the kernels' "absent") for null. */
  private optional(h: Handle | null): number {
    return h ? this.at(h) : 0;
  }

  alloc(size: number, contents: 'zeros' | 'any' = 'zeros'): Handle {
    const at = this.heap.alloc(size * 4);
    // Zeroed in wasm: TypedArray fill on the shared memory's view was 6.6% of a 64x64 width 8 DP step.
    if (contents === 'zeros') this.ctx.fill(at, size, 0);
    this.live++;
    this.bytes += size * 4;
    return new WasmHandle(this, at, size);
  }

  write(h: Handle, values: Float32Array): void {
    if (values.length !== h.size) throw new Error(`wasm backend: write of ${values.length} values into a handle of ${h.size}`);
    this.heap.f32.set(values, this.at(h) >> 2);
  }

  read(h: Handle): Promise<Float32Array> {
    const from = this.at(h) >> 2;
    return Promise.resolve(this.heap.f32.slice(from, from + h.size));
  }

  free(h: Handle): void {
    const at = this.at(h);
    (h as WasmHandle).freed = true;
    this.heap.release(at, h.size * 4);
    this.live--;
    this.bytes -= h.size * 4;
  }

  memory(): MemoryInfo {
    return { handles: this.live, bytes: this.bytes };
  }

  fill(y: Handle, value: number): void {
    this.ctx.fill(this.at(y), y.size, value);
  }

  unary(op: UnaryOp, x: Handle, y: Handle, alpha: number, beta: number): void {
    elementwise.unary(this.ctx, op, this.at(x), this.at(y), y.size, alpha, beta);
  }

  binary(op: BinaryOp, a: Handle, b: Handle, y: Handle, g: BroadcastGeometry): void {
    elementwise.binary(this.ctx, op, this.at(a), this.at(b), this.at(y), g);
  }

  reduceSum(x: Handle, y: Handle, g: ReduceGeometry): void {
    elementwise.reduceSum(this.ctx, this.at(x), this.at(y), g);
  }

  activationBackward(dy: Handle, y: Handle, dx: Handle, activation: Activation): void {
    elementwise.activationBackward(this.ctx, this.at(dy), this.at(y), this.at(dx), dx.size, activation);
  }

  copy(copies: readonly CopyJob[]): void {
    this.ctx.scoped(() => elementwise.copy(this.ctx, copies.map(({ src, dst, g }) => ({ src: this.at(src), dst: this.at(dst), g }))));
  }

  conv2d(x: Handle, w: Handle, bias: Handle | null, y: Handle, g: ConvGeometry, activation: Activation | null = null): void {
    this.ctx.scoped(() => conv.conv2d(this.ctx, this.at(x), this.at(w), this.optional(bias), this.at(y), g, activation));
  }

  conv2dBackwardData(dy: Handle, w: Handle, dx: Handle, g: ConvGeometry, bias: Handle | null = null, activation: Activation | null = null): void {
    this.ctx.scoped(() => conv.conv2dBackwardData(this.ctx, this.at(dy), this.at(w), this.at(dx), g, this.optional(bias), activation));
  }

  conv2dBackwardFilter(x: Handle, dy: Handle, dw: Handle, g: ConvGeometry, o: FilterGradOptions): void {
    filterGradients(this, x, dy, dw, g, o, (into) => this.ctx.scoped(() => conv.conv2dBackwardFilter(this.ctx, this.at(x), this.at(dy), this.at(into), g, o.perSample)));
  }

  matmul(a: Handle, b: Handle, y: Handle, g: MatmulGeometry): void {
    this.ctx.scoped(() => matmul(this.ctx, this.at(a), this.at(b), this.at(y), g));
  }

  avgPool2d(x: Handle, y: Handle, g: PoolGeometry): void {
    resample.avgPool2d(this.ctx, this.at(x), this.at(y), g);
  }

  avgPool2dBackward(dy: Handle, dx: Handle, g: PoolGeometry): void {
    resample.avgPool2dBackward(this.ctx, this.at(dy), this.at(dx), g);
  }

  upsampleNearest(x: Handle, y: Handle, g: UpsampleGeometry): void {
    resample.upsampleNearest(this.ctx, this.at(x), this.at(y), g);
  }

  upsampleNearestBackward(dy: Handle, dx: Handle, g: UpsampleGeometry): void {
    resample.upsampleNearestBackward(this.ctx, this.at(dy), this.at(dx), g);
  }

  padReflect(x: Handle, y: Handle, g: PadGeometry): void {
    resample.padReflect(this.ctx, this.at(x), this.at(y), g);
  }

  padReflectBackward(dy: Handle, dx: Handle, g: PadGeometry): void {
    resample.padReflectBackward(this.ctx, this.at(dy), this.at(dx), g);
  }

  instanceNorm(x: Handle, weight: Handle | null, bias: Handle | null, y: Handle, stats: Handle, g: NormGeometry): void {
    norm.instanceNorm(this.ctx, { x: this.at(x), weight: this.optional(weight), bias: this.optional(bias), y: this.at(y), stats: this.at(stats) }, g);
  }

  instanceNormBackward(x: Handle, stats: Handle, dy: Handle, weight: Handle | null, dx: Handle, dWeight: Handle, dBias: Handle, g: NormGeometry, y: Handle | null = null): void {
    if (g.activation && !y) throw new Error('wasm instanceNormBackward: an activation needs the forward output y');
    const pointers = { x: this.at(x), stats: this.at(stats), dy: this.at(dy), weight: this.optional(weight), dx: this.at(dx), dWeight: this.at(dWeight), dBias: this.at(dBias), y: this.optional(y) };
    norm.instanceNormBackward(this.ctx, pointers, g);
  }

  sumSquaresPerSample(xs: readonly Handle[], squares: Handle): void {
    this.ctx.scoped(() => dp.sumSquaresPerSample(this.ctx, xs.map((x) => this.at(x)), xs.map((x) => x.size / squares.size), this.at(squares), squares.size));
  }

  clippedSumWithNoise(xs: readonly Handle[], factors: Handle, ys: readonly Handle[], g: ClippedSumGeometry): void {
    this.ctx.scoped(() => dp.clippedSumWithNoise(this.ctx, xs.map((x) => this.at(x)), this.at(factors), ys.map((y) => this.at(y)), ys.map((y) => y.size), g));
  }

  adam(entries: readonly AdamEntry[], s: AdamStep): void {
    const pointers = entries.map((e) => ({ param: this.at(e.param), grad: this.at(e.grad), m: this.at(e.m), v: this.at(e.v), n: e.param.size, stepSize: e.stepSize, sqrtCorrection2: e.sqrtCorrection2 }));
    this.ctx.scoped(() => adam(this.ctx, pointers, s));
  }

  pointLoss(op: LossOp, a: Handle, b: Handle | null, target: number, y: Handle): void {
    loss.pointLoss(this.ctx, op, a.size, target, { a: this.at(a), b: this.optional(b), y: this.at(y) });
  }

  pointLossBackward(op: LossOp, a: Handle, b: Handle | null, target: number, dy: Handle, da: Handle): void {
    loss.pointLossBackward(this.ctx, op, a.size, target, { a: this.at(a), b: this.optional(b), dy: this.at(dy), da: this.at(da) });
  }

  randomNormal(y: Handle, key: Required<RandomKey>): void {
    randomNormal(this.ctx, this.at(y), y.size, key);
  }
}

