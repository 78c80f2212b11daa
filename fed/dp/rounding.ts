/**
 * Rounding in the safe direction: a bound shown must not claim more than the
 * bound computed. An epsilon (or delta) guarantee, or a sigma that is to
 * spend at most a target, rounds up; a lower bound rounds down. Every
 * printed guarantee and calibrate's sigma go through here. Pure math.
 */

export type RoundingDirection = 'up' | 'down';

/** x to `digits` significant digits, never below x ('up') or never above it ('down'). */
export function roundSignificant(x: number, digits: number, direction: RoundingDirection): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return roundToPowerOfTen(x, Math.floor(Math.log10(Math.abs(x))) - digits + 1, direction);
}

/** x to `decimals` decimal places, never below x ('up') or never above it ('down'). */
export function roundDecimals(x: number, decimals: number, direction: RoundingDirection): number {
  if (!Number.isFinite(x)) return x;
  return roundToPowerOfTen(x, -decimals, direction);
}

/**
 * The nearest multiple c 10^e on the chosen side of x. c 10^e is formed as
 * c / 10^-e for e < 0 (both whole and exact, so the division is the double
 * nearest the decimal, what printing shows), and c is then moved a unit at a
 * time until it is the least (most) multiple at or above (below) x: x / 10^e
 * itself may round across a whole number.
 */
function roundToPowerOfTen(x: number, e: number, direction: RoundingDirection): number {
  const value = (c: number) => (e < 0 ? c / 10 ** -e : c * 10 ** e);
  if (direction === 'down') return -roundToPowerOfTen(-x, e, 'up');
  let c = Math.ceil(x / value(1));
  while (value(c) < x) c++;
  while (value(c - 1) >= x) c--;
  return value(c);
}

/** How many digits a bound is shown with: fixed decimal places, or significant digits. */
export type Shown = { decimals: number } | { significant: number };

/**
 * A bound as text, rounded in `direction` (default up: an epsilon or delta
 * guarantee); fixed decimals keep their trailing zeros, significant digits
 * drop them. toFixed and toPrecision round to nearest, half the time below.
 */
export function boundText(x: number, shown: Shown, direction: RoundingDirection = 'up'): string {
  if ('decimals' in shown) return roundDecimals(x, shown.decimals, direction).toFixed(shown.decimals);
  return String(roundSignificant(x, shown.significant, direction));
}
