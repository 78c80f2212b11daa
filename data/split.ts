/** Train/test split by subject (never by slice), seeded: IXI's 80/20 (paper, section 6.1). */
import { DataError } from './errors.js';
import { streamRng } from './seed.js';

export interface SplitOptions {
  /** Share of subjects held out for testing (default 0.2). */
  testFraction?: number;
  /** Default 3, the reference's seed. */
  seed?: number;
}

/** Splits subjects into train and test sets; each keeps the input order. */
export function splitSubjects<T>(subjects: readonly T[], options: SplitOptions = {}): { train: T[]; test: T[] } {
  const fraction = options.testFraction ?? 0.2;
  const n = subjects.length;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`splitSubjects: testFraction is in [0, 1), got ${fraction}`);
  const testCount = fraction === 0 ? 0 : Math.max(1, Math.round(n * fraction));
  if (n - testCount < 1) throw new DataError('split', `${n} subject(s) cannot give both a training and a test set`);
  const order = streamRng(options.seed ?? 3, 0x5b1, n).shuffle(Array.from({ length: n }, (_, i) => i));
  const test = new Set(order.slice(0, testCount));
  return {
    train: subjects.filter((_, i) => !test.has(i)),
    test: subjects.filter((_, i) => test.has(i)),
  };
}
