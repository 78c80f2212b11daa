/**
 * Batches for training: a client's items, shuffled per epoch from a seed
 * into fixed-size batches, or, for DP-SGD, Poisson-sampled (each item joins
 * each step independently with probability q = batch / items, so batch sizes
 * vary and a batch may be empty: the sampling the privacy accountant
 * assumes). Each contrast misaligned independently if asked, scaled from [0, 1] to the
 * model's [-1, 1], as engine tensors a, b of shape [B, 1, S, S].
 */
import { Rng, tensor, type Tensor } from '../engine/index.js';
import { drawMisalignment, warpNearest, type Misalignment } from './augment.js';
import { contrasts, type Contrast } from './contrasts.js';
import { subjectSlice, type Subject } from './dataset.js';
import { DataError } from './errors.js';
import type { Item } from './items.js';
import { streamRng } from './seed.js';

export interface LoaderOptions {
  /** The contrast fed in (a) and the one synthesised (b), e.g. PD -> T2. */
  source: Contrast;
  target: Contrast;
  /**
   * Pairs of contrasts a batch may hold instead (Hyper-GAN's every pair),
   * a's subject the first, b's the second; a batch names its pair in
   * `contrasts`. A fixed-size batch draws one of those all its items hold
   * (source -> target always qualifies); a Poisson-sampled step draws one of
   * them all, whatever was sampled, and leaves out the items that lack it.
   * [[source, target]] by default.
   */
  pairs?: readonly ContrastPair[];
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
  /**
   * What a Poisson sample draws (default 'slice'): items, or subjects, each
   * bringing SUBJECT_SLICES of its items; `batchSize` then counts subjects.
   * 'subject' needs paired items: an unpaired one holds two subjects' images.
   */
  unit?: PrivacyUnit;
}

/** Two contrasts, a's then b's. */
export type ContrastPair = readonly [Contrast, Contrast];

/** The privacy unit DP-SGD samples, clips and accounts: one slice, or one subject with all its slices. */
export type PrivacyUnit = 'slice' | 'subject';

/** Items a subject sampled into a step brings, drawn at random from its own (all when it has fewer). */
export const SUBJECT_SLICES = 4;

export interface Batch {
  /** Source images [B, 1, S, S] in [-1, 1]; the caller disposes them. */
  a: Tensor;
  /** Target images [B, 1, S, S] in [-1, 1]. */
  b: Tensor;
  items: Item[];
  /** The batch's contrasts, a's then b's, when the loader draws pairs (options.pairs). */
  contrasts?: ContrastPair;
  /** Under the subject unit, each item's subject numbered 0.. within the batch (for the sanitiser). */
  units?: number[];
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
  readonly unit: PrivacyUnit;
  /** The items of each privacy unit: one item each, or each subject's. */
  private readonly units: readonly (readonly Item[])[];
  private options: Required<LoaderOptions>;

  constructor(
    readonly items: readonly Item[],
    options: LoaderOptions,
  ) {
    this.options = { batchSize: 4, seed: 3, shuffle: true, misalignment: { mode: 'none' }, dropLast: false, unit: 'slice', ...options, pairs: options.pairs ?? [[options.source, options.target]] };
    this.batchSize = this.options.batchSize;
    this.unit = this.options.unit;
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new RangeError(`BatchLoader: batch size must be a whole number of at least 1, got ${this.batchSize}`);
    if (items.length === 0) throw new DataError('loader', 'has no items');
    this.size = items[0]!.a.size;
    for (const item of items) {
      if (item.a.size !== this.size || item.b.size !== this.size) throw new DataError('loader', `items mix slice sizes ${this.size} and ${item.a.size === this.size ? item.b.size : item.a.size}`);
      if (!item.a.slices[this.options.source]) throw new DataError('loader', `subject ${item.a.id} has no ${this.options.source} slices`);
      if (!item.b.slices[this.options.target]) throw new DataError('loader', `subject ${item.b.id} has no ${this.options.target} slices`);
    }
    this.units = this.unit === 'slice' ? items.map((item) => [item]) : itemsBySubject(items);
  }

  /** Whether batches draw their pair of contrasts (more than one pair given). */
  private get drawn(): boolean {
    return this.options.pairs.length > 1;
  }

  /** The chance a unit (item or subject) joins a Poisson-sampled step: batch / units (at most 1). */
  get samplingRate(): number {
    return Math.min(1, this.batchSize / this.units.length);
  }

  /** The images a Poisson-sampled step holds on average. */
  get expectedImages(): number {
    return this.samplingRate * this.units.reduce((n, unit) => n + Math.min(unit.length, SUBJECT_SLICES), 0);
  }

  /** Batches (steps) per epoch, shuffled or Poisson-sampled (units / expected batch, rounded up, as Opacus). */
  get length(): number {
    const units = this.units.length;
    return this.options.dropLast ? Math.floor(units / this.batchSize) : Math.ceil(units / this.batchSize);
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
   * One epoch's steps under Poisson sampling: `length` batches, each unit in
   * each independently with probability `samplingRate`, drawn from `rng`
   * (DP-SGD's: a stream of the client's secret key, fed/dp/secret.ts, since
   * a sample anyone could recompute amplifies nothing). A subject brings
   * SUBJECT_SLICES of its items, drawn afresh each step. With several pairs,
   * each step's pair comes from a stream split off `rng` before any sample,
   * so neither which units were sampled nor which exist changes it (were it
   * drawn among the pairs the sample holds, one unit's presence would change
   * every other unit's task, and its sensitivity would be the batch's); a
   * sampled unit that lacks the pair brings nothing, and a step left with
   * none is empty (noise only).
   */
  *poissonEpoch(rng: Rng): Generator<Batch | EmptyBatch> {
    const pairRng = this.drawn ? Rng.fromState([rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]) : null; // all 128 bits, as the stream it splits from
    for (let b = 0; b < this.length; b++) {
      const pair = pairRng && this.drawPair(pairRng);
      const units = poissonSample(this.units.length, this.samplingRate, rng).map((u) => this.units[u]!).filter((unit) => !pair || holds(unit[0]!, pair));
      if (units.length === 0) {
        yield { a: null, b: null, items: [] };
        continue;
      }
      if (this.unit === 'slice') {
        yield this.batch(units.map((unit) => unit[0]!), rng, pair);
        continue;
      }
      const drawn = units.map((unit) => rng.shuffle([...unit]).slice(0, SUBJECT_SLICES));
      yield { ...this.batch(drawn.flat(), rng, pair), units: drawn.flatMap((unit, u) => unit.map(() => u)) };
    }
  }

  /** `items` as tensors, in contrasts `pair` (by default one all of them hold; null: source -> target). */
  private batch(items: Item[], rng: Rng, pair: ContrastPair | null = this.drawn ? this.heldPair(items, rng) : null): Batch {
    const s = this.size;
    const area = s * s;
    const a = new Float32Array(items.length * area);
    const b = new Float32Array(items.length * area);
    const [source, target] = pair ?? [this.options.source, this.options.target];
    items.forEach((item, k) => {
      this.image(subjectSlice(item.a, source, item.slice), a.subarray(k * area, (k + 1) * area), rng);
      this.image(subjectSlice(item.b, target, item.slice), b.subarray(k * area, (k + 1) * area), rng);
    });
    const batch: Batch = { a: tensor(a, [items.length, 1, s, s]), b: tensor(b, [items.length, 1, s, s]), items };
    return this.drawn ? { ...batch, contrasts: [source, target] } : batch;
  }

  /** One of the pairs every item holds, for a fixed-size batch (a draw only when there is a choice, so a single pair's batches stay as they were). */
  private heldPair(items: readonly Item[], rng: Rng): ContrastPair {
    const { source, target } = this.options;
    const held = this.options.pairs.filter((pair) => (pair[0] === source && pair[1] === target) || items.every((item) => holds(item, pair)));
    return held.length > 1 ? held[rng.int(held.length)]! : (held[0] ?? [source, target]);
  }

  /** One of all the pairs, from `rng` alone: what a Poisson-sampled step trains, whichever units it drew. */
  private drawPair(rng: Rng): ContrastPair {
    return this.options.pairs[rng.int(this.options.pairs.length)]!;
  }

  /** One slice into `out`: misaligned if asked (0 fill), then [0, 1] -> [-1, 1]. */
  private image(slice: Float32Array, out: Float32Array, rng: Rng): void {
    const m = this.options.misalignment;
    if (m.mode === 'none') out.set(slice);
    else warpNearest(slice, this.size, drawMisalignment(rng, m, this.size), out);
    for (let i = 0; i < out.length; i++) out[i] = 2 * out[i]! - 1;
  }
}

/** Whether an item has slices of `pair`: a's subject of the first contrast, b's of the second. */
function holds(item: Item, [s, t]: ContrastPair): boolean {
  return Boolean(item.a.slices[s] && item.b.slices[t]);
}

/** Every ordered pair of the contrasts `subjects` hold between them (Hyper-GAN's pairs), in data/contrasts.ts's order. */
export function contrastPairs(subjects: readonly Subject[]): [Contrast, Contrast][] {
  const held = contrasts.filter((c) => subjects.some((s) => s.slices[c]));
  return held.flatMap((s) => held.filter((t) => t !== s).map((t): [Contrast, Contrast] => [s, t]));
}

/** The indices in [0, n), each kept independently with probability q, in order. */
export function poissonSample(n: number, q: number, rng: Rng): number[] {
  const chosen: number[] = [];
  for (let i = 0; i < n; i++) if (rng.uniform() < q) chosen.push(i);
  return chosen;
}

/** Items grouped by subject, in first-seen order; every item must be paired (one subject's images). */
function itemsBySubject(items: readonly Item[]): Item[][] {
  const bySubject = new Map<string, Item[]>();
  for (const item of items) {
    if (item.a.id !== item.b.id) {
      throw new DataError('loader', `the subject privacy unit needs paired items; an item pairs subject ${item.a.id} with ${item.b.id} (use paired ratio 1)`);
    }
    bySubject.set(item.a.id, [...(bySubject.get(item.a.id) ?? []), item]);
  }
  return [...bySubject.values()];
}

/**
 * The most items any one subject's images appear in (as source or target):
 * a slice-level guarantee covers a whole subject only as a group of this size.
 */
export function largestSubjectShare(items: readonly Item[]): number {
  const count = new Map<string, number>();
  for (const item of items) {
    for (const id of new Set([item.a.id, item.b.id])) count.set(id, (count.get(id) ?? 0) + 1);
  }
  return Math.max(0, ...count.values());
}
