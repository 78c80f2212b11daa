/**
 * The noise multiplier that spends a given epsilon (as Opacus's
 * get_noise_multiplier): the smallest sigma, to four significant digits and
 * rounded up, whose tightest sound epsilon (fed/dp/ledger.ts) after the
 * planned steps is at most the target. The ledger then accounts the run
 * with that sigma as with any other, so the guarantee never rests on this
 * search. Each accountant call costs up to a second or two (PRV's grid), so
 * the search starts from GDP's closed form, which lands within a few per
 * cent, and brackets the answer in a handful of calls.
 */
import { PrivacyParameterError, type AccountingOptions, type GaussianSteps } from './accountant.js';
import { gdpEpsilon } from './gdp.js';
import { tightestEpsilon } from './ledger.js';

/** Done when sigma spends within this fraction of the target, or is known to this relative precision. */
const PRECISION = 1e-4;

export function noiseForEpsilon(target: number, run: Omit<GaussianSteps, 'noise'>, options: AccountingOptions): number {
  if (!(target > 0 && Number.isFinite(target))) throw new PrivacyParameterError('epsilon', `must be a positive number, got ${target}`);
  // The search runs on x = log sigma, where log epsilon is nearly a straight line.
  const probe = (x: number) => ({ x, f: Math.log(tightestEpsilon([{ ...run, noise: Math.exp(x) }], options).epsilon / target) });
  // Bracket: f(lo) > 0 >= f(hi), from GDP's estimate outwards in steps of 10%.
  const step = Math.log(1.1);
  let lo = probe(Math.log(gdpNoise(target, run, options.delta)));
  let hi = lo;
  while (hi.f > 0) [lo, hi] = [hi, probe(hi.x + step)];
  while (lo.f <= 0) [hi, lo] = [lo, probe(lo.x - step)];
  // Regula falsi with the Illinois rule: an end kept twice running has its f halved, so both ends close in.
  let kept: 'lo' | 'hi' | null = null;
  while (hi.f < -PRECISION && hi.x - lo.x > PRECISION) {
    const secant = lo.x - (lo.f * (hi.x - lo.x)) / (hi.f - lo.f);
    const next = probe(secant > lo.x && secant < hi.x ? secant : (lo.x + hi.x) / 2);
    if (next.f > 0) {
      lo = next;
      if (kept === 'hi') hi = { ...hi, f: hi.f / 2 };
      kept = 'hi';
    } else {
      hi = next;
      if (kept === 'lo') lo = { ...lo, f: lo.f / 2 };
      kept = 'lo';
    }
  }
  return roundUp(Math.exp(hi.x));
}

/** GDP's sigma for the target, by bisection in log space (GDP's epsilon falls as sigma grows). */
function gdpNoise(target: number, run: Omit<GaussianSteps, 'noise'>, delta: number): number {
  let [lo, hi] = [0.05, 1000];
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (gdpEpsilon([{ ...run, noise: mid }], delta) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Up to four significant digits, never below x (a larger sigma spends less), so the sigma shown is the sigma used. */
function roundUp(x: number): number {
  const unit = 10 ** (Math.floor(Math.log10(x)) - 3);
  return Number((Math.ceil(x / unit - 1e-9) * unit).toPrecision(4));
}
