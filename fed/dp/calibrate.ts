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
import { tightestEpsilon, type SoundAccountant } from './ledger.js';
import { LEAST_EPS_ERROR } from './prv.js';
import { boundText, roundSignificant } from './rounding.js';

/** Done when sigma spends within this fraction of the target, or is known to this relative precision. */
const PRECISION = 1e-4;

/** The most noise the search tries: a target not met there is out of reach (both bounds flatten out long before). */
const NOISE_CEILING = 1e6;

/** One accountant call of the search: the sigma tried and the epsilon it spends. */
export interface Probe {
  noise: number;
  epsilon: number;
}

/**
 * `only` calibrates with that accountant alone (fedmed privacy --accountant);
 * by default with the tighter of RDP and PRV, as the ledger accounts. A
 * target that no noise reaches is a PrivacyParameterError saying why.
 * `onProbe` hears each call (PRV's take up to seconds each: progress).
 */
export function noiseForEpsilon(target: number, run: Omit<GaussianSteps, 'noise'>, options: AccountingOptions, only?: SoundAccountant, onProbe?: (probe: Probe) => void): number {
  if (!(target > 0 && Number.isFinite(target))) throw new PrivacyParameterError('epsilon', `must be a positive number, got ${target}`);
  const usesPrv = only !== 'rdp' && (options.sampling ?? 'poisson') === 'poisson';
  if (usesPrv && target <= LEAST_EPS_ERROR) {
    throw new PrivacyParameterError('epsilon', `${target} cannot be reached: the PRV accountant's error bar alone is ${LEAST_EPS_ERROR}, so no noise spends less; ask for more than ${LEAST_EPS_ERROR}`);
  }
  // The search runs on x = log sigma, where log epsilon is nearly a straight line.
  const spend = (x: number) => {
    const epsilon = tightestEpsilon([{ ...run, noise: Math.exp(x) }], options, only).epsilon;
    onProbe?.({ noise: Math.exp(x), epsilon });
    return epsilon;
  };
  const probe = (x: number) => ({ x, f: Math.log(spend(x) / target) });
  const ceiling = probe(Math.log(NOISE_CEILING));
  if (ceiling.f > 0) {
    const least = boundText(spend(ceiling.x), { significant: 4 }); // up: asking for more than it must be reachable
    throw new PrivacyParameterError('epsilon', `${target} cannot be reached with q ${run.q}, ${run.steps} steps, delta ${options.delta}: even noise ${NOISE_CEILING} spends ${least}${only ? ` by ${only}` : ''}; ask for more than ${least}`);
  }
  // Bracket: f(lo) > 0 >= f(hi), from GDP's estimate outwards in steps that start at 10% and double
  // (a target near the floor needs sigma far above GDP's); upwards no further than the ceiling.
  let step = Math.log(1.1);
  let lo = probe(Math.min(Math.log(gdpNoise(target, run, options.delta)), ceiling.x));
  let hi = lo;
  for (; hi.f > 0; step *= 2) [lo, hi] = [hi, hi.x + step >= ceiling.x ? ceiling : probe(hi.x + step)];
  step = Math.log(1.1);
  for (; lo.f <= 0; step *= 2) [hi, lo] = [lo, probe(lo.x - step)];
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
  // Never below the sigma found (a larger sigma spends less), so the sigma shown is the sigma used.
  return roundSignificant(Math.exp(hi.x), 4, 'up');
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

