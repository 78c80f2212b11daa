/**
 * Federated partition: subjects (never slices of one subject) dealt to K
 * clients by the paper's Table 3 schemes, explicit weights, or one client per
 * site (DESIGN.md, "The reference code", Federation and data).
 */
import { DataError } from './errors.js';
import { streamRng } from './seed.js';

export type Scheme = 'average' | 'gradual' | 'extreme' | 'site';

/** Client data shares of the paper's Table 3, by number of clients. */
export const tableThree: Record<'gradual' | 'extreme', Record<number, number[]>> = {
  gradual: {
    2: [0.6, 0.4],
    4: [0.4, 0.3, 0.2, 0.1],
    8: [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05],
  },
  extreme: {
    2: [0.9, 0.1],
    4: [0.7, 0.1, 0.1, 0.1],
    8: [0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  },
};

/** The shares of a scheme for `clients` clients ('average': equal shares, any number). */
export function schemeWeights(scheme: 'average' | 'gradual' | 'extreme', clients: number): number[] {
  if (!(Number.isInteger(clients) && clients >= 1)) throw new DataError('partition', `clients must be a whole number of at least 1, got ${clients}`);
  if (scheme === 'average') return Array.from({ length: clients }, () => 1 / clients);
  const weights = tableThree[scheme][clients];
  if (!weights) throw new DataError('partition', `the ${scheme} scheme is defined for 2, 4 or 8 clients (paper, Table 3), not ${clients}; give explicit weights`);
  return [...weights];
}

export interface PartitionOptions {
  /** Number of clients (default 4, the paper's); with 'site', the number of sites if given. */
  clients?: number;
  /** Default 'average'. Ignored when weights are given. */
  scheme?: Scheme;
  /** Explicit shares, one per client; normalised. */
  weights?: number[];
  /** Default 3. */
  seed?: number;
}

/**
 * Counts summing to n in proportion to `weights` (largest remainders), each
 * at least one.
 */
export function shareCounts(n: number, weights: readonly number[]): number[] {
  if (weights.length === 0 || weights.some((w) => !(w > 0) || !Number.isFinite(w))) {
    throw new DataError('partition', `weights must be positive numbers, got [${weights.join(', ')}]`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * n);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
  const left = n - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < left; k++) counts[order[k]![1]]!++;
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) {
    throw new DataError('partition', `client ${empty + 1} of ${weights.length} would get none of the ${n} subjects (share ${(weights[empty]! / total).toFixed(3)}); use fewer clients or more subjects`);
  }
  return counts;
}

/** Deals subjects to clients; each client's list keeps the input order. */
export function partitionClients<T extends { id: string; site: string | null }>(subjects: readonly T[], options: PartitionOptions = {}): T[][] {
  if (!options.weights && options.scheme === 'site') return partitionBySite(subjects, options.clients);
  const weights = options.weights ?? schemeWeights((options.scheme ?? 'average') as 'average', options.clients ?? 4);
  if (options.weights && options.clients !== undefined && options.clients !== weights.length) {
    throw new DataError('partition', `${weights.length} weights for ${options.clients} clients`);
  }
  const counts = shareCounts(subjects.length, weights);
  const order = streamRng(options.seed ?? 3, 0xc11e, subjects.length).shuffle(Array.from({ length: subjects.length }, (_, i) => i));
  let start = 0;
  return counts.map((count) => {
    const mine = order.slice(start, (start += count)).sort((a, b) => a - b);
    return mine.map((i) => subjects[i]!);
  });
}

function partitionBySite<T extends { id: string; site: string | null }>(subjects: readonly T[], clients: number | undefined): T[][] {
  const unsited = subjects.find((s) => s.site === null);
  if (unsited) throw new DataError('partition', `subject ${unsited.id} has no site; the site scheme needs IXI-named data or the phantom`);
  const sites = [...new Set(subjects.map((s) => s.site!))].sort();
  if (clients !== undefined && clients !== sites.length) {
    throw new DataError('partition', `the site scheme gives one client per site: ${sites.length} (${sites.join(', ')}), not ${clients}`);
  }
  return sites.map((site) => subjects.filter((s) => s.site === site));
}
