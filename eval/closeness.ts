/**
 * The one rule by which a backend's numbers are close enough to the js
 * oracle's, for the Node parity tests (assertClose in
 * tests/helpers/backends.ts) and the browser's (web/test.ts): every |actual - expected| <= rtol *
 * max(|expected|, rms(expected)), relative where values are large and
 * relative to the typical size where sums cancel to near zero; a value that
 * is not finite must be matched exactly. In eval/, which the page may
 * import, and free of Node and of the DOM.
 */

/** The relative tolerance of a comparison with the js oracle, unless a case says otherwise. */
export const RTOL = 1e-4;

export interface Closeness {
  /**
   * The largest |actual - expected| / max(|expected|, rms) over the
   * elements, which must be <= rtol; Infinity where a non-finite expected
   * value is not matched exactly or an actual one is NaN.
   */
  worst: number;
  /** The element where it is (-1 when every element is equal). */
  index: number;
  /** The root mean square of the finite expected values. */
  rms: number;
}

/** How far `actual` is from `expected` (of the same length) under the rule. */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>): Closeness {
  let squares = 0;
  let finite = 0;
  for (let i = 0; i < expected.length; i++) {
    const v = expected[i]!;
    if (Number.isFinite(v)) {
      squares += v * v;
      finite++;
    }
  }
  const rms = Math.sqrt(squares / Math.max(1, finite)) || 1e-30;
  let worst = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    const ratio = Number.isFinite(e) ? Math.abs(a - e) / Math.max(Math.abs(e), rms) : Object.is(a, e) ? 0 : Infinity;
    const score = Number.isNaN(ratio) ? Infinity : ratio;
    if (score > worst) [worst, index] = [score, i];
  }
  return { worst, index, rms };
}
