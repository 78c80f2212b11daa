/**
 * The subject accountant: (epsilon, delta) for a group of k units (one
 * subject's slices) over Poisson-subsampled Gaussian runs, composed directly
 * rather than by group privacy (which turns a slice epsilon eps into
 * (k eps, k e^{(k-1) eps} delta), no guarantee at all for k = 31). Each step
 * is dominated by the group pair of fed/dp/group_prv.ts (Schuchardt et al.
 * 2024, Theorem 3.8); the runs compose as PRVs (fed/dp/prv.ts, Gopi et al.
 * 2021) in each direction, removing the group and adding it, each composed
 * on its own (the add/remove relation needs both; Lebeda, Regehr, Kamath,
 * Steinke 2024), and the worse direction is the bound.
 *
 * Group losses reach the hundreds, so the grid is sized to the loss: its half
 * width L is a power of two, doubled until the mass off [-L, L] (each step's
 * truncation, and the FFT's wrap-around bounded by Chernoff on the
 * discretised steps) is under delta_err / 2 and the discretisation keeps the
 * mean; the mesh gives an epsilon error of about 1.5% of the epsilon
 * expected (0.01 at least) on 2^14 to 2^17 points. Large epsilons get a
 * coarser but still sound upper end, never a hang; past L = 2^20, Infinity
 * (no bound).
 * Discretised steps are kept per grid, so a ledger that recomputes every
 * round mostly pays only for the composition. Pure math.
 */
import { checkRun, PrivacyParameterError, type GaussianSteps } from './accountant.js';
import { groupDirections, groupStepPrv, type GroupDirection, type GroupStepPrv } from './group_prv.js';
import { discretise, epsilonInterval, meanKept, meshError, meshFor, type DiscreteStep, type Grid, type PrvEpsilon } from './prv.js';

/** The group accountant's answer: the worse direction's interval, and which it was. */
export interface GroupEpsilon extends PrvEpsilon {
  direction: GroupDirection | null;
}

/** A discretised step with its log moment generating function at each of LAMBDAS. */
type StepWithMgf = DiscreteStep & { logMgf: Float64Array };

const MIN_POINTS = 2 ** 14;
const MAX_POINTS = 2 ** 17;
const MAX_HALF_WIDTH = 2 ** 20;
/** Discretised steps kept (up to 2^17 doubles each): a ledger needs a few per client and sampling rate. */
const MAX_CACHED_STEPS = 32;
/** The epsilon error aimed at, as a share of the epsilon expected. */
const RELATIVE_ERROR = 1 / 64;

/** The group size, or a PrivacyParameterError naming `parameter` unless it is a whole number >= 1. */
export function checkGroup(group: number, parameter = 'group'): number {
  if (!(Number.isInteger(group) && group >= 1)) throw new PrivacyParameterError(parameter, `must be a whole number >= 1, got ${group}`);
  return group;
}

export class GroupAccountant {
  private readonly prvs = new Map<string, GroupStepPrv>();
  private readonly steps = new Map<string, StepWithMgf>();

  /** An accountant for groups of `group` units (checked). */
  constructor(readonly group: number) {
    checkGroup(group);
  }

  /** epsilon at `delta` for the group over the runs composed; `upper` is the guarantee. */
  epsilon(runs: readonly GaussianSteps[], delta: number): GroupEpsilon {
    if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError('delta', `must be in (0, 1), got ${delta}`);
    for (const run of runs) checkRun(run, 0);
    const active = runs.filter((r) => r.steps > 0);
    if (active.length === 0) return { lower: 0, estimate: 0, upper: 0, direction: null };
    if (active.some((r) => r.noise === 0)) return { lower: Infinity, estimate: Infinity, upper: Infinity, direction: 'remove' };
    let worst: GroupEpsilon = { lower: -Infinity, estimate: -Infinity, upper: -Infinity, direction: null };
    for (const direction of groupDirections) {
      const interval = this.directionEpsilon(active, delta, direction);
      if (interval.upper > worst.upper) worst = { ...interval, direction };
    }
    return worst;
  }

  private directionEpsilon(runs: readonly GaussianSteps[], delta: number, direction: GroupDirection): PrvEpsilon {
    const deltaError = delta / 1000;
    const total = runs.reduce((n, r) => n + r.steps, 0);
    const prvs = runs.map((r) => this.stepPrv(r, direction));
    // The composed loss's mean and sd: L starts at mean + 10 sd, and epsilon is about mean + 3 sd.
    const mean = runs.reduce((s, r, i) => s + r.steps * Math.abs(prvs[i]!.mean), 0);
    const sd = Math.sqrt(runs.reduce((s, r, i) => s + r.steps * prvs[i]!.sd ** 2, 0));
    const errorTarget = Math.max(0.01, (mean + 3 * sd) * RELATIVE_ERROR);
    for (let L = nextPowerOfTwo(mean + 10 * sd + 10); L <= MAX_HALF_WIDTH; L *= 2) {
      // At least MIN_POINTS, so that the grid changes only with L as the steps grow round by round.
      const n = Math.min(MAX_POINTS, Math.max(MIN_POINTS, nextPowerOfTwo((2 * L) / meshFor(total, errorTarget, deltaError))));
      const grid: Grid = { n, zero: n / 2, h: (2 * L) / n };
      // Each step's mass off the grid first (a heavy tail can hold much), then the composed sum's.
      const truncated = runs.reduce((sum, r, i) => sum + r.steps * (prvs[i]!.cdf(-L) + prvs[i]!.survival(L - grid.h)), 0);
      if (truncated > deltaError / 4) continue;
      const steps = runs.map((r, i) => ({ step: this.discreteStep(r, direction, prvs[i]!, grid), count: r.steps }));
      if (truncated + wrappedMass(steps, grid) > deltaError / 2) continue;
      if (!steps.every(({ step }) => meanKept(step, grid))) continue; // a coarser mesh keeps it
      return epsilonInterval(steps, grid, { delta, epsError: meshError(total, grid.h, deltaError), deltaError });
    }
    return { lower: Infinity, estimate: Infinity, upper: Infinity };
  }

  private stepPrv(run: GaussianSteps, direction: GroupDirection): GroupStepPrv {
    const key = `${direction} ${run.q} ${run.noise}`;
    let prv = this.prvs.get(key);
    if (!prv) this.prvs.set(key, (prv = groupStepPrv(run.q, run.noise, this.group, direction)));
    return prv;
  }

  private discreteStep(run: GaussianSteps, direction: GroupDirection, prv: GroupStepPrv, grid: Grid): StepWithMgf {
    const key = `${direction} ${run.q} ${run.noise} ${grid.n} ${grid.h}`;
    let step = this.steps.get(key);
    if (!step) {
      if (this.steps.size >= MAX_CACHED_STEPS) this.steps.delete(this.steps.keys().next().value!); // the oldest grid first
      const discrete = discretise(prv, grid);
      this.steps.set(key, (step = { ...discrete, logMgf: logMgf(discrete.pmf, grid) }));
    }
    return step;
  }
}

/** Chernoff's exponents: lambda = +-2^j, j = -12..2, per unit of loss. */
const LAMBDAS = Array.from({ length: 15 }, (_, j) => 2 ** (j - 12)).flatMap((l) => [l, -l]);

/** log E[e^{lambda (i - zero) h}] of a discretised step, for each lambda in LAMBDAS. */
function logMgf(pmf: Float64Array, grid: Grid): Float64Array {
  const logPmf = pmf.map((p) => (p > 0 ? Math.log(p) : -Infinity));
  return Float64Array.from(LAMBDAS, (lambda) => {
    let top = -Infinity;
    for (let i = 0; i < grid.n; i++) top = Math.max(top, logPmf[i]! + lambda * (i - grid.zero) * grid.h);
    let sum = 0;
    for (let i = 0; i < grid.n; i++) sum += Math.exp(logPmf[i]! + lambda * (i - grid.zero) * grid.h - top);
    return top + Math.log(sum);
  });
}

/**
 * An upper bound on the chance that the composed sum of the discretised
 * steps leaves [-L, L), where the FFT would wrap it around, by Chernoff:
 * P(S >= L) <= min over lambda of e^{-lambda L} prod E[e^{lambda Y}], and
 * the same below -L.
 */
function wrappedMass(steps: readonly { step: StepWithMgf; count: number }[], grid: Grid): number {
  const L = grid.zero * grid.h;
  const wrapped = [Infinity, Infinity];
  LAMBDAS.forEach((lambda, j) => {
    const exponent = steps.reduce((s, { step, count }) => s + count * step.logMgf[j]!, 0) - Math.abs(lambda) * L;
    const side = lambda > 0 ? 0 : 1;
    wrapped[side] = Math.min(wrapped[side]!, Math.exp(exponent));
  });
  return wrapped[0]! + wrapped[1]!;
}

function nextPowerOfTwo(x: number): number {
  return 2 ** Math.max(0, Math.ceil(Math.log2(x)));
}
