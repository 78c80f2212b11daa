/**
 * The PRV accountant (Gopi, Lee, Wutschitz 2021, "Numerical composition of
 * differential privacy"), as Opacus's PRVAccountant: the privacy loss random
 * variable Y = log(P(X) / Q(X)), X ~ P, of one Poisson-subsampled Gaussian
 * step (P = (1-q) N(0, s^2) + q N(1, s^2), Q = N(0, s^2)) is discretised on
 * a grid of mesh h over [-L, L], its mean kept by shifting the grid, and T
 * steps compose as the T-fold convolution, done as a power of its FFT. Then
 * delta(epsilon) = E[(1 - e^{epsilon - Y})+] is read off the composed PMF.
 * The paper's error analysis (Theorem 5.5, Remark 5.6) bounds the true
 * epsilon within [estimate(delta + delta_err) - eps_err,
 * estimate(delta - delta_err) + eps_err] for h = eps_err /
 * sqrt(T log(12 / delta_err) / 2) and L from RDP tail bounds; the upper end
 * is the sound figure. Defaults eps_err = 0.01, delta_err = delta / 1000,
 * as Opacus, except that eps_err is relative to epsilon past about 15 (a
 * 2000th of RDP's bound, which keeps the grid's size bounded at small sigma)
 * and below 0.2 (a second pass at a 20th of the first upper bound). A grid
 * past MAX_GRID_POINTS (about 10^5 steps and more) declines: RDP's bound
 * stands. The grid, the discretisation of any one-step PRV given by its CDF, survival
 * function and mean, and the composition are exported for the
 * group accountant (fed/dp/group_accountant.ts). Like Opacus it composes
 * the removal direction only: adding a unit (the pair swapped) is never
 * the worse one on the grid tests/fed/dp/group_accountant.test.ts sweeps
 * with both directions, as Mironov, Talwar and Zhang 2019 prove for the
 * sampled Gaussian's RDP. Pure math.
 */
import { AccountantDeclined, DEFAULT_ORDERS, type GaussianSteps } from './accountant.js';
import { bestEpsilon } from './conversion.js';
import { fft } from './fft.js';
import { logNormalCdf } from './gdp.js';
import { rdpPoissonGaussian } from './rdp_poisson.js';

export interface PrvOptions {
  delta: number;
  /** Default 0.01, relative to epsilon where it is far from 1 (see prvEpsilon). */
  epsError?: number;
  /** Default delta / 1000. */
  deltaError?: number;
}

/** epsilon's estimate and the interval the true value lies in; `upper` is the guarantee. */
export interface PrvEpsilon {
  lower: number;
  estimate: number;
  upper: number;
}

/** The PRV interval and the error bar it was computed with. */
export interface PrvResult extends PrvEpsilon {
  epsError: number;
}

/** Below this upper bound the default error bar (0.01) is a large share of epsilon, and it is refined. */
const SMALL_EPSILON = 0.2;

/** epsilon of Poisson-subsampled Gaussian runs composed, by the PRV accountant (see the header). */
export function prvEpsilon(runs: readonly GaussianSteps[], options: PrvOptions): PrvResult {
  const { delta } = options;
  const deltaError = options.deltaError ?? delta / 1000;
  const active = runs.filter((r) => r.steps > 0);
  if (active.length === 0) return { lower: 0, estimate: 0, upper: 0, epsError: 0 };
  if (active.some((r) => r.noise === 0)) return { lower: Infinity, estimate: Infinity, upper: Infinity, epsError: 0 };
  const span = safeDomainSize(active, deltaError);
  const at = (epsError: number): PrvResult => ({ ...prvInterval(active, span, { delta, epsError, deltaError }), epsError });
  if (options.epsError !== undefined) return at(options.epsError);
  // The grid's points grow as span / epsError: 0.01 on an epsilon in the hundreds (small sigma)
  // would take tens of millions of points and seconds a call, so past about 15 the bar is a 2000th
  // of span - 3 (RDP's bound at deltaError / 4, some way above the epsilon sought).
  const first = at(Math.max(0.01, (span - 3) / 2000));
  // On a small epsilon 0.01 is a tenth of it or more, and a sigma calibrated to a small target
  // would come out several times too large: a second pass with a bar of a 20th of the first
  // upper bound (down to 0.001, a grid at most 10 times as fine) tightens it, where its grid fits.
  if (first.upper >= SMALL_EPSILON) return first;
  const refined = Math.max(LEAST_EPS_ERROR, first.upper / 20);
  return gridFor(active, span, refined, deltaError).n <= MAX_GRID_POINTS ? at(refined) : first;
}

/** The smallest default error bar: PRV's upper bound never falls below it, however much the noise. */
export const LEAST_EPS_ERROR = 0.001;

/**
 * The most grid points one call takes (about 3 s here): the points grow as
 * sqrt(steps), and 10^6 steps took 2^24 of them and 20 s a call, 10^8 ran
 * for minutes. Past it PRV declines and the ledger keeps RDP's bound, within
 * about 5% of PRV's at such step counts and instant.
 */
export const MAX_GRID_POINTS = 2 ** 22;

/** The grid that keeps the runs' composed error within epsError over [-span, span]. */
function gridFor(active: readonly GaussianSteps[], span: number, epsError: number, deltaError: number): Grid {
  const total = active.reduce((n, r) => n + r.steps, 0);
  return makeGrid(Math.max(span, epsError + 3), meshFor(total, epsError, deltaError));
}

function prvInterval(active: readonly GaussianSteps[], span: number, errors: { delta: number; epsError: number; deltaError: number }): PrvEpsilon {
  const grid = gridFor(active, span, errors.epsError, errors.deltaError);
  if (grid.n > MAX_GRID_POINTS) {
    const steps = active.reduce((n, r) => n + r.steps, 0);
    throw new AccountantDeclined(`the PRV accountant cannot account ${steps} steps: its grid would take ${grid.n} points, past its cap of ${MAX_GRID_POINTS} (the grid grows with the steps): RDP accounts such runs`);
  }
  const steps = active.map((run) => ({ step: discretise(subsampledGaussianPrv(run.q, run.noise), grid), count: run.steps }));
  steps.forEach(({ step }, k) => {
    const { q, noise } = active[k]!;
    // At tiny noise the loss's density times its log overflows (0 times Infinity): the mean is NaN.
    if (!Number.isFinite(step.shift)) throw new AccountantDeclined(`the PRV accountant cannot account q ${q} with noise ${noise}: the step's mean privacy loss overflows floating point at so little noise`);
    if (meanKept(step, grid)) return;
    throw new AccountantDeclined(`the PRV accountant cannot account q ${q} with noise ${noise}: its grid (mesh ${grid.h.toPrecision(3)}) does not keep the step's mean (off by ${step.shift.toPrecision(3)})`);
  });
  return epsilonInterval(steps, grid, errors);
}

/** The Gopi et al. interval for epsilon from discretised steps composed: `upper` is the guarantee. */
export function epsilonInterval(steps: readonly CountedStep[], grid: Grid, errors: { delta: number; epsError: number; deltaError: number }): PrvEpsilon {
  const { delta, epsError, deltaError } = errors;
  const composed = compose(steps, grid);
  const find = (target: number) => epsilonAt(composed.pmf, grid, composed.shift, target);
  return { lower: find(delta + deltaError) - epsError, estimate: find(delta), upper: find(delta - deltaError) + epsError };
}

/** The mesh that keeps the discretisation error of `steps` composed steps within epsError (Gopi et al., Theorem 5.5). */
export function meshFor(steps: number, epsError: number, deltaError: number): number {
  return epsError / meshError(steps, 1, deltaError);
}

/** The epsilon error of `steps` composed steps on a grid of mesh h: meshFor's inverse. */
export function meshError(steps: number, h: number, deltaError: number): number {
  return h * Math.sqrt((steps * Math.log(12 / deltaError)) / 2);
}

/** One step's privacy loss random variable Y = log(P(X) / Q(X)), X ~ P, by its distribution. */
export interface StepPrv {
  cdf(t: number): number;
  survival(t: number): number;
  /** E[Y] = KL(P || Q). */
  mean: number;
}

/** One step on the grid: its PMF, and how far right of (i - zero) h its points sit. */
export interface DiscreteStep {
  pmf: Float64Array;
  shift: number;
}

export interface CountedStep {
  step: DiscreteStep;
  count: number;
}

/** A grid of n = 2^k points t_i = (i - zero) h, symmetric about t = 0 at index `zero`, covering [-L, L]. */
export interface Grid {
  n: number;
  zero: number;
  h: number;
}

export function makeGrid(halfWidth: number, h: number): Grid {
  let n = 2;
  while (n < 2 * Math.ceil(halfWidth / h) + 2) n *= 2;
  return { n, zero: n / 2, h };
}

/**
 * L as Opacus (Remark 5.6): the RDP epsilon of all steps at delta_err / 4,
 * or of one step at delta_err / (8 T) if larger, plus 3.
 */
function safeDomainSize(runs: readonly GaussianSteps[], deltaError: number): number {
  const total = runs.reduce((n, r) => n + r.steps, 0);
  const rdpEpsilon = (steps: (r: GaussianSteps) => number, delta: number) => {
    const rdps = DEFAULT_ORDERS.map((alpha) => runs.reduce((s, r) => s + steps(r) * rdpPoissonGaussian(r.q, r.noise, alpha), 0));
    return bestEpsilon(DEFAULT_ORDERS, rdps, delta, 'balle2020').epsilon;
  };
  let L = rdpEpsilon((r) => r.steps, deltaError / 4);
  for (const run of runs) L = Math.max(L, rdpEpsilon((r) => (r === run ? 1 : 0), deltaError / (8 * total)));
  return L + 3;
}

/** The composed PMF on the grid, and how far right its points sit from (i - zero) h: the summed mean shifts. */
function compose(steps: readonly CountedStep[], grid: Grid): DiscreteStep {
  const re = new Float64Array(grid.n).fill(1);
  const im = new Float64Array(grid.n);
  let shift = 0;
  let count = 0;
  for (const { step, count: times } of steps) {
    shift += times * step.shift;
    count += times;
    const [sr, si] = [step.pmf.slice(), new Float64Array(grid.n)];
    fft(sr, si);
    for (let k = 0; k < grid.n; k++) {
      // (r e^{i phi})^T, in polar form.
      const magnitude = Math.pow(Math.hypot(sr[k]!, si[k]!), times);
      const phase = Math.atan2(si[k]!, sr[k]!) * times;
      const [pr, pi] = [magnitude * Math.cos(phase), magnitude * Math.sin(phase)];
      [re[k], im[k]] = [re[k]! * pr - im[k]! * pi, re[k]! * pi + im[k]! * pr];
    }
  }
  fft(re, im, true);
  // A sum of `count` indices i_j sits at sum(i_j) - (count - 1) zero: rotate the circular result there.
  const offset = (((count - 1) * grid.zero) % grid.n + grid.n) % grid.n;
  const pmf = new Float64Array(grid.n);
  for (let i = 0; i < grid.n; i++) pmf[i] = re[(i + offset) % grid.n]!;
  return { pmf, shift };
}

/**
 * One step's PRV on the grid (the paper's Algorithm 1): each point gets the
 * mass of [t - h/2, t + h/2] under Y truncated to the grid's span, and the
 * grid is to be shifted right by (true mean - discrete mean), checked by
 * meanKept. Each cell edge's tail is computed once: the CDF at or below 0,
 * the survival function above, each accurate in its own tail.
 */
export function discretise(prv: StepPrv, grid: Grid): DiscreteStep {
  const { n, zero, h } = grid;
  const tMin = -zero * h;
  const tMax = (n - 1 - zero) * h;
  const tails = new Float64Array(n + 1);
  for (let j = 0; j <= n; j++) {
    const edge = j === 0 ? tMin : j === n ? tMax : (j - zero) * h - h / 2;
    tails[j] = edge <= 0 ? prv.cdf(edge) : prv.survival(edge);
  }
  const pmf = new Float64Array(n);
  let kept = 0;
  let discreteMean = 0;
  for (let i = 0; i < n; i++) {
    const [a, b] = [i === 0 ? tMin : (i - zero) * h - h / 2, i === n - 1 ? tMax : (i + 1 - zero) * h - h / 2];
    // Mass of (a, b] from the edges' tails; a cell across 0 takes both tails from 0.
    pmf[i] = b <= 0 ? tails[i + 1]! - tails[i]! : a > 0 ? tails[i]! - tails[i + 1]! : prv.cdf(0) - tails[i]! + prv.survival(0) - tails[i + 1]!;
    kept += pmf[i]!;
  }
  for (let i = 0; i < n; i++) {
    pmf[i] = pmf[i]! / kept;
    discreteMean += pmf[i]! * (i - zero) * h;
  }
  return { pmf, shift: prv.mean - discreteMean };
}

/** Whether the discretisation kept the mean as Gopi et al.'s analysis needs: a shift under half the mesh. */
export function meanKept(step: DiscreteStep, grid: Grid): boolean {
  return Math.abs(step.shift) < grid.h / 2;
}

/**
 * The PRV of one step (Gopi et al., Propositions B1, B4): with
 * z(t) = log((e^t - 1 + q) / q), Y <= t iff X <= s^2 z + 1/2, so
 * CDF(t) = (1-q) Phi(s z + 1/(2s)) + q Phi(s z - 1/(2s)) for e^t > 1 - q, else 0.
 * The mean is KL(P || Q), by Simpson's rule over x.
 */
function subsampledGaussianPrv(q: number, sigma: number): StepPrv {
  // log((e^t - 1 + q) / q), in a form that neither overflows for large t nor loses q = 1's e^t.
  const z = (t: number) => (t > 30 ? t + Math.log1p((q - 1) * Math.exp(-t)) : Math.log(Math.expm1(t) + q)) - Math.log(q);
  const floor = Math.log1p(-q);
  const cdf = (t: number) => {
    if (t <= floor) return 0;
    const sz = sigma * z(t);
    return (1 - q) * Math.exp(logNormalCdf(sz + 1 / (2 * sigma))) + q * Math.exp(logNormalCdf(sz - 1 / (2 * sigma)));
  };
  const survival = (t: number) => {
    if (t <= floor) return 1;
    const sz = sigma * z(t);
    return (1 - q) * Math.exp(logNormalCdf(-sz - 1 / (2 * sigma))) + q * Math.exp(logNormalCdf(-sz + 1 / (2 * sigma)));
  };
  return { cdf, survival, mean: klDivergence(q, sigma) };
}

/**
 * KL(P || Q) = E_P[log((1-q) + q e^{(2x-1)/(2 s^2)})], Simpson's rule over x in
 * [-20 s, 1 + 20 s]; at q = 1 the log is v itself (1 + expm1(v) rounds to 0
 * far left for small s, which made the mean -Infinity).
 */
function klDivergence(q: number, sigma: number): number {
  const a = -20 * sigma;
  const b = 1 + 20 * sigma;
  const steps = 20000;
  const dx = (b - a) / steps;
  const gauss = (x: number, m: number) => Math.exp(-((x - m) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
  const f = (x: number) => {
    const p = (1 - q) * gauss(x, 0) + q * gauss(x, 1);
    const v = (2 * x - 1) / (2 * sigma * sigma);
    return p * (q === 1 ? v : Math.log1p(q * Math.expm1(v)));
  };
  let sum = f(a) + f(b);
  for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * f(a + i * dx);
  return (sum * dx) / 3;
}

/**
 * The epsilon whose delta is `target` on the composed PMF at points
 * t_i = (i - zero) h + shift: delta(epsilon) = d1[i] - e^epsilon d2[i] for
 * epsilon in [t_{i-1}, t_i], with d1[i] = sum_{j >= i} p_j and
 * d2[i] = sum_{j >= i} p_j e^{-t_j}; the first i with delta(t_i) <= target.
 * d2 is kept as e^{t_i} d2[i] (each step down multiplies it by e^{-h}), so
 * that losses in the hundreds (a group's) neither underflow nor overflow.
 */
function epsilonAt(pmf: Float64Array, grid: Grid, shift: number, target: number): number {
  const decay = Math.exp(-grid.h);
  let d1 = 0;
  let d2 = 0; // e^{t_i} sum_{j >= i} p_j e^{-t_j}
  let found = { t: NaN, d1: NaN, d2: NaN };
  for (let i = grid.n - 1; i >= 0; i--) {
    const t = (i - grid.zero) * grid.h + shift;
    d1 += pmf[i]!;
    d2 = d2 * decay + pmf[i]!;
    if (d1 - d2 > target) break;
    found = { t, d1, d2 };
  }
  if (Number.isNaN(found.d1)) return Infinity; // delta is not reached on the grid: no bound from here
  return Math.max(0, found.t + Math.log((found.d1 - target) / found.d2));
}
