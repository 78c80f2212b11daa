/**
 * A client's training items (DESIGN.md, "The reference code", Federation and data): paired items take
 * both contrasts from the same subject and slice; unpaired items take them
 * from two different subjects at the same slice index, the first from one
 * half of the client's subjects and the second from the other half. The two
 * kinds are mixed at the paired ratio.
 */
import type { Subject } from './dataset.js';
import { DataError } from './errors.js';
import { sampleWithoutReplacement, streamRng } from './seed.js';

export interface Item {
  /** Subject of the source contrast. */
  a: Subject;
  /** Subject of the target contrast: `a` itself when paired. */
  b: Subject;
  /** Slice index (into the subjects' slices). */
  slice: number;
  paired: boolean;
}

export interface ItemOptions {
  /** Share of paired items (default 0.5). */
  pairedRatio?: number;
  /** Number of items (default: subjects x slices, every subject-slice once). */
  count?: number;
  /** Default 3. */
  seed?: number;
  /** Who the items are for, in error messages (default 'client'). */
  name?: string;
}

/** The items for one client's subjects, shuffled. */
export function buildItems(subjects: readonly Subject[], options: ItemOptions = {}): Item[] {
  const name = options.name ?? 'client';
  const ratio = options.pairedRatio ?? 0.5;
  if (!(ratio >= 0 && ratio <= 1)) throw new DataError(name, `paired ratio is in [0, 1], got ${ratio}`);
  const n = subjects.length;
  if (n === 0) throw new DataError(name, 'has no subjects');
  const slices = subjects[0]!.z.length;
  const uneven = subjects.find((s) => s.z.length !== slices);
  if (uneven) throw new DataError(name, `subjects have different slice counts (${subjects[0]!.id}: ${slices}, ${uneven.id}: ${uneven.z.length})`);
  const count = options.count ?? n * slices;
  if (!(Number.isInteger(count) && count >= 1)) throw new DataError(name, `item count must be a whole number of at least 1, got ${count}`);
  const pairedCount = Math.round(count * ratio);
  const unpairedCount = count - pairedCount;

  const rng = streamRng(options.seed ?? 3, 0x17e5, n, count);
  if (pairedCount > n * slices) {
    throw new DataError(name, `has ${n} subjects x ${slices} slices = ${n * slices} paired items, but ${pairedCount} were asked for`);
  }
  const halves = rng.shuffle([...subjects]);
  const first = halves.slice(0, Math.ceil(n / 2));
  const second = halves.slice(Math.ceil(n / 2));
  const unpairedAvailable = first.length * second.length * slices;
  if (unpairedCount > unpairedAvailable) {
    throw new DataError(
      name,
      n < 2
        ? `has ${n} subject; unpaired items need at least 2 (asked for ${unpairedCount}; --paired-ratio 1 needs none)`
        : `has ${n} subjects (halves of ${first.length} and ${second.length}) x ${slices} slices = ${unpairedAvailable} unpaired items, but ${unpairedCount} were asked for`,
    );
  }
  const paired = sampleWithoutReplacement(n * slices, pairedCount, rng).map((k): Item => {
    const s = subjects[Math.floor(k / slices)]!;
    return { a: s, b: s, slice: k % slices, paired: true };
  });
  const unpaired = sampleWithoutReplacement(unpairedAvailable, unpairedCount, rng).map((k): Item => {
    const slice = k % slices;
    const pair = Math.floor(k / slices);
    return { a: first[Math.floor(pair / second.length)]!, b: second[pair % second.length]!, slice, paired: false };
  });
  return rng.shuffle([...paired, ...unpaired]);
}

/**
 * Where a batch's items come from, in one line for an error (a non-finite
 * loss): each subject with its slices' planes and, when read from disk, its
 * files, e.g. `IXI002 planes 57, 61 (data/IXI002-PD.nii.gz, data/IXI002-T2.nii.gz)`.
 */
export function describeItems(items: readonly Item[]): string {
  const planes = new Map<Subject, Set<number>>();
  for (const item of items) {
    for (const s of item.paired ? [item.a] : [item.a, item.b]) {
      const set = planes.get(s) ?? new Set<number>();
      planes.set(s, set.add(s.z[item.slice]!));
    }
  }
  return [...planes].map(([s, z]) => {
    const files = Object.values(s.files ?? {});
    return `${s.id} plane${z.size > 1 ? 's' : ''} ${[...z].sort((p, q) => p - q).join(', ')}${files.length ? ` (${files.join(', ')})` : ''}`;
  }).join('; ');
}

/** Every slice of `subjects` once, paired (both contrasts of one subject), in the order evaluation uses (the CLI's and the page's). */
export function evaluationItems(subjects: readonly Subject[], seed: number): Item[] {
  return buildItems(subjects, { pairedRatio: 1, seed, name: 'test set' });
}
