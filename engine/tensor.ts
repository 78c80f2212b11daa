/**
 * A Tensor is a shape and a reference to storage in a backend, plus what
 * autodiff needs: whether it wants a gradient, its gradient, and the tape node
 * that made it. Storage is reference counted so that reshape shares it.
 */
import type { Backend, Handle } from './backend.js';
import { state, track } from './state.js';
import { sameShape, sizeOf } from './strides.js';
import type { TapeNode } from './tape.js';
import { backward, type BackwardOptions } from './tape.js';

/** Storage shared by a tensor and its reshaped views. */
export class Storage {
  refs = 1;
  /** In-place writes so far: a tape node compares it with what its inputs had when it was recorded (see written). */
  version = 0;
  constructor(
    readonly backend: Backend,
    readonly handle: Handle,
  ) {}

  release(): void {
    if (--this.refs === 0) this.backend.free(this.handle);
  }

  /** Called by whatever writes into this storage in place (an optimizer step, a gradient added into). */
  written(): void {
    this.version++;
  }
}

let nextId = 0;

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  /** Creation order; the tape runs backward in decreasing id. */
  readonly id = nextId++;
  requiresGrad = false;
  /** The gradient accumulated by backward() (leaves only). */
  grad: Tensor | null = null;
  /** The op that made this tensor; after backward() has run its rule, a spent marker. */
  node: TapeNode | null = null;
  private storageRef: Storage | null;

  constructor(shape: readonly number[], storage: Storage) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    if (storage.handle.size !== this.size) throw new Error(`tensor of shape [${shape}] needs ${this.size} values, storage has ${storage.handle.size}`);
    this.storageRef = storage;
    state.liveTensors++;
    track(this);
  }

  get storage(): Storage {
    if (!this.storageRef) throw new Error(`tensor #${this.id} [${this.shape}] used after dispose()`);
    if (this.storageRef.backend !== state.backend) {
      throw new Error(`tensor #${this.id} lives on the ${this.storageRef.backend.name} backend, the current one is ${state.backend.name}`);
    }
    return this.storageRef;
  }

  get handle(): Handle {
    return this.storage.handle;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storageRef === null;
  }

  /** A leaf: wants a gradient and was not made by a recorded op. */
  get isLeaf(): boolean {
    return this.requiresGrad && this.node === null;
  }

  /** The values, once every queued kernel has run. */
  data(): Promise<Float32Array> {
    return this.storage.backend.read(this.handle);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs one element, tensor has shape [${this.shape}]`);
    return (await this.data())[0]!;
  }

  /** Accumulates d(this)/d(leaf) into every leaf's `grad`. `this` must be a scalar unless `gradient` is given. */
  backward(options: BackwardOptions = {}): void {
    backward(this, options);
  }

  /** A new tensor object over the same storage (another reference to it). */
  alias(shape: readonly number[] = this.shape): Tensor {
    const storage = this.storage;
    const view = new Tensor(shape, storage); // throws on a size mismatch before taking a reference
    storage.refs++;
    return view;
  }

  /**
   * Makes this tensor hold src's values (same shape) by taking a reference to
   * src's storage; the old storage is released. Used for in-place updates of
   * parameters, whose identity must not change.
   */
  assign(src: Tensor): void {
    if (!sameShape(src.shape, this.shape)) {
      throw new Error(`assign: ${src} does not match ${this}`);
    }
    const next = src.storage;
    next.refs++;
    this.storage.release();
    this.storageRef = next;
  }

  /** Frees this tensor's reference to its storage (and its gradient). Idempotent. */
  dispose(): void {
    if (!this.storageRef) return;
    this.storageRef.release();
    this.storageRef = null;
    this.node = null;
    this.grad?.dispose();
    this.grad = null;
    state.liveTensors--;
  }

  toString(): string {
    return `Tensor#${this.id}[${this.shape.join(', ')}]`;
  }
}

/** A new tensor of zeros on the current backend (with 'any', of whatever its memory held: see output). */
export function empty(shape: readonly number[], contents: 'zeros' | 'any' = 'zeros'): Tensor {
  const backend = state.backend;
  return new Tensor(shape, new Storage(backend, backend.alloc(sizeOf(shape), contents)));
}

/**
 * A new tensor for a kernel to write whole, as its output, before anything
 * reads it: its values until then are whatever the backend's memory held
 * (Backend.alloc's 'any'), which saves wasm a zeroing pass.
 */
export function output(shape: readonly number[]): Tensor {
  return empty(shape, 'any');
}
