/**
 * Batches for training: a client's items, shuffled per epoch from a seed
 * into fixed-size batches, or, for DP-SGD, Poisson-sampled (each item joins
 * each step independently with probability q = batch / items, so batch sizes
 * vary and a batch may be empty: the sampling the privacy accountant
 * assumes). Each contrast misaligned independently if asked, scaled from [0, 1] to the
 * model's [-1, 1], as engine tensors a, b of shape [B, 1, S, S].
 */
import { tensor, type Rng, type Tensor } from '../engine/index.js';
import { drawMisalignment, warpNearest, type Misalignment } from './augment.js';
import type { Contrast } from './contrasts.js';
import { subjectSlice } from './dataset.js';
import { DataError } from './errors.js';
import type { Item } from './items.js';
import { streamRng } from './seed.js';

export interface LoaderOptions {
  /** The contrast fed in (a) and the one synthesised (b), e.g. PD -> T2. */
  source: Contrast;
  target: Contrast;
  /** Default 4, the paper's. */
  batchSize?: number;
  /** Default 3. */
  seed?: number;
  /** Shuffle each epoch (default true; false keeps item order, for evaluation). */
  shuffle?: boolean;
  /** Default none. */
  misalignment?: Misalignment;
  /** Leave out a last, smaller batch (default false). */
  dropLast?: boolean;
}

export interface Batch {
  /** Source images [B, 1, S, S] in [-1, 1]; the caller disposes them. */
  a: Tensor;
  /** Target images [B, 1, S, S] in [-1, 1]. */
  b: Tensor;
  items: Item[];
}

/** A Poisson sample that drew no item: DP-SGD still takes a noise-only step. */
export interface EmptyBatch {
  a: null;
  b: null;
  items: [];
}

export class BatchLoader {
  /** The batch size; under Poisson sampling, the expected one. */
  readonly batchSize: number;
  readonly size: number;
  private options: Required<LoaderOptions>;

  constructor(
    readonly items: readonly Item[],
    options: LoaderOptions,
  ) {
    this.options = { batchSize: 4, seed: 3, shuffle: true, misalignment: { mode: 'none' }, dropLast: false, ...options };
    this.batchSize = this.options.batchSize;
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new RangeError(`BatchLoader: batch size must be a whole number of at least 1, got ${this.batchSize}`);
    if (items.length === 0) throw new DataError('loader', 'has no items');
    this.size = items[0]!.a.size;
    for (const item of items) {
      if (item.a.size !== this.size || item.b.size !== this.size) throw new DataError('loader', `items mix slice sizes ${this.size} and ${item.a.size === this.size ? item.b.size : item.a.size}`);
      if (!item.a.slices[this.options.source]) throw new DataError('loader', `subject ${item.a.id} has no ${this.options.source} slices`);
      if (!item.b.slices[this.options.target]) throw new DataError('loader', `subject ${item.b.id} has no ${this.options.target} slices`);
    }
  }

  /** The chance an item joins a Poisson-sampled step: batch / items (at most 1). */
  get samplingRate(): number {
    return Math.min(1, this.batchSize / this.items.length);
  }

  /** Batches (steps) per epoch, shuffled or Poisson-sampled (items / expected batch, rounded up, as Opacus). */
  get length(): number {
    return this.options.dropLast ? Math.floor(this.items.length / this.batchSize) : Math.ceil(this.items.length / this.batchSize);
  }

  /** The batches of epoch `index`: the same for the same seed and index, however many epochs came before. */
  *epoch(index: number): Generator<Batch> {
    const rng = streamRng(this.options.seed, 0x10ad, index);
    const order = this.items.map((_, i) => i);
    if (this.options.shuffle) rng.shuffle(order);
    for (let b = 0; b < this.length; b++) {
      const chosen = order.slice(b * this.batchSize, (b + 1) * this.batchSize).map((i) => this.items[i]!);
      yield this.batch(chosen, rng);
    }
  }

  /**
   * The steps of epoch `index` under Poisson sampling: `length` batches, each
   * item in each independently with probability `samplingRate`.
   */
  *poissonEpoch(index: number): Generator<Batch | EmptyBatch> {
    const rng = streamRng(this.options.seed, 0x9015, index);
    for (let b = 0; b < this.length; b++) {
      const chosen = poissonSample(this.items.length, this.samplingRate, rng).map((i) => this.items[i]!);
      yield chosen.length ? this.batch(chosen, rng) : { a: null, b: null, items: [] };
    }
  }

  private batch(items: Item[], rng: Rng): Batch {
    const s = this.size;
    const area = s * s;
    const a = new Float32Array(items.length * area);
    const b = new Float32Array(items.length * area);
    items.forEach((item, k) => {
      this.image(subjectSlice(item.a, this.options.source, item.slice), a.subarray(k * area, (k + 1) * area), rng);
      this.image(subjectSlice(item.b, this.options.target, item.slice), b.subarray(k * area, (k + 1) * area), rng);
    });
    return { a: tensor(a, [items.length, 1, s, s]), b: tensor(b, [items.length, 1, s, s]), items };
  }

  /** One slice into `out`: misaligned if asked (0 fill), then [0, 1] -> [-1, 1]. */
  private image(slice: Float32Array, out: Float32Array, rng: Rng): void {
    const m = this.options.misalignment;
    if (m.mode === 'none') out.set(slice);
    else warpNearest(slice, this.size, drawMisalignment(rng, m, this.size), out);
    for (let i = 0; i < out.length; i++) out[i] = 2 * out[i]! - 1;
  }
}

/** The indices in [0, n), each kept independently with probability q, in order. */
export function poissonSample(n: number, q: number, rng: Rng): number[] {
  const chosen: number[] = [];
  for (let i = 0; i < n; i++) if (rng.uniform() < q) chosen.push(i);
  return chosen;
}
