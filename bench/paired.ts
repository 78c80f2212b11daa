/**
 * Two sides of a comparison (fedmed and PyTorch, the plain and the DP-SGD
 * step, two builds) timed in alternation, A B A B ... B A, one step at a
 * time. A shared machine's speed moves within minutes, so timing one side
 * and then the other compares the machine with itself; alternating moves
 * both sides alike. Each B step is paired with the mean of the A steps just
 * before and after it, which cancels a steady drift, and the comparison is
 * the median of those paired ratios with their spread.
 */

/** One side: runs one step and says how many milliseconds it took. */
export interface TimedSide {
  step(): Promise<number>;
}

/** The step times of a run: `a` has one more entry than `b`, as A opens and closes it. */
export interface AlternatedTimes {
  a: number[];
  b: number[];
}

/** A B A B ... B A with `pairs` B steps (and pairs + 1 A steps), after `warmup` untimed steps of each. */
export async function alternate(a: TimedSide, b: TimedSide, pairs: number, warmup: number): Promise<AlternatedTimes> {
  for (let i = 0; i < warmup; i++) {
    await a.step();
    await b.step();
  }
  const times: AlternatedTimes = { a: [await a.step()], b: [] };
  for (let i = 0; i < pairs; i++) {
    times.b.push(await b.step());
    times.a.push(await a.step());
  }
  return times;
}

/** Each B step's time over the mean of the A steps either side of it. */
export function pairedRatios({ a, b }: AlternatedTimes): number[] {
  if (a.length !== b.length + 1) throw new Error(`pairedRatios: ${a.length} A steps around ${b.length} B steps (want one more A)`);
  return b.map((ms, i) => ms / ((a[i]! + a[i + 1]!) / 2));
}

/** The median, quartiles (linear between order statistics) and range of some values. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread: no values');
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => {
    const pos = q * (sorted.length - 1);
    const lo = Math.floor(pos);
    return sorted[lo]! + (pos - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]!);
  };
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length };
}

/** A and B's median step times and the spread of their paired ratios (B over A). */
export interface Comparison {
  aMs: Spread;
  bMs: Spread;
  ratio: Spread;
}

/** Alternates the two sides and summarises the run. */
export async function compare(a: TimedSide, b: TimedSide, pairs: number, warmup: number): Promise<Comparison> {
  const times = await alternate(a, b, pairs, warmup);
  return { aMs: spread(times.a), bMs: spread(times.b), ratio: spread(pairedRatios(times)) };
}

/** "1.23x (IQR 1.20-1.26, range 1.15-1.30, 7 pairs)". */
export function formatRatio(s: Spread): string {
  return `${s.median.toFixed(2)}x (IQR ${s.q1.toFixed(2)}-${s.q3.toFixed(2)}, range ${s.min.toFixed(2)}-${s.max.toFixed(2)}, ${s.n} pair${s.n === 1 ? '' : 's'})`;
}
