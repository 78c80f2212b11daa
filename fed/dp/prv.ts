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
 * as Opacus. Pure math.
 */
import { DEFAULT_ORDERS, type GaussianSteps } from './accountant.js';
import { bestEpsilon } from './conversion.js';
import { fft } from './fft.js';
import { logNormalCdf } from './gdp.js';
import { rdpPoissonGaussian } from './rdp_poisson.js';

export interface PrvOptions {
  delta: number;
  /** Default 0.01. */
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

/** epsilon of Poisson-subsampled Gaussian runs composed, by the PRV accountant (see the header). */
export function prvEpsilon(runs: readonly GaussianSteps[], options: PrvOptions): PrvEpsilon {
  const { delta } = options;
  const epsError = options.epsError ?? 0.01;
  const deltaError = options.deltaError ?? delta / 1000;
  const active = runs.filter((r) => r.steps > 0);
  if (active.length === 0) return { lower: 0, estimate: 0, upper: 0 };
  if (active.some((r) => r.noise === 0)) return { lower: Infinity, estimate: Infinity, upper: Infinity };
  const total = active.reduce((n, r) => n + r.steps, 0);
  const grid = makeGrid(safeDomainSize(active, epsError, deltaError), epsError / Math.sqrt((total * Math.log(12 / deltaError)) / 2));
  const composed = compose(active, grid);
  const find = (target: number) => epsilonAt(composed.pmf, grid, composed.shift, target);
  return { lower: find(delta + deltaError) - epsError, estimate: find(delta), upper: find(delta - deltaError) + epsError };
}

/** A grid of n = 2^k points t_i = (i - zero) h, symmetric about t = 0 at index `zero`, covering [-L, L]. */
interface Grid {
  n: number;
  zero: number;
  h: number;
}

function makeGrid(halfWidth: number, h: number): Grid {
  let n = 2;
  while (n < 2 * Math.ceil(halfWidth / h) + 2) n *= 2;
  return { n, zero: n / 2, h };
}

/**
 * L as Opacus (Remark 5.6): the RDP epsilon of all steps at delta_err / 4,
 * or of one step at delta_err / (8 T) if larger, plus 3.
 */
function safeDomainSize(runs: readonly GaussianSteps[], epsError: number, deltaError: number): number {
  const total = runs.reduce((n, r) => n + r.steps, 0);
  const rdpEpsilon = (steps: (r: GaussianSteps) => number, delta: number) => {
    const rdps = DEFAULT_ORDERS.map((alpha) => runs.reduce((s, r) => s + steps(r) * rdpPoissonGaussian(r.q, r.noise, alpha), 0));
    return bestEpsilon(DEFAULT_ORDERS, rdps, delta, 'balle2020').epsilon;
  };
  let L = rdpEpsilon((r) => r.steps, deltaError / 4);
  for (const run of runs) L = Math.max(L, rdpEpsilon((r) => (r === run ? 1 : 0), deltaError / (8 * total)));
  return Math.max(L, epsError) + 3;
}

/** The composed PMF on the grid, and how far right its points sit from (i - zero) h: the summed mean shifts. */
function compose(runs: readonly GaussianSteps[], grid: Grid): { pmf: Float64Array; shift: number } {
  const re = new Float64Array(grid.n).fill(1);
  const im = new Float64Array(grid.n);
  let shift = 0;
  let count = 0;
  for (const run of runs) {
    const step = discretise(run, grid);
    shift += run.steps * step.shift;
    count += run.steps;
    const [sr, si] = [step.pmf, new Float64Array(grid.n)];
    fft(sr, si);
    for (let k = 0; k < grid.n; k++) {
      // (r e^{i phi})^T, in polar form.
      const magnitude = Math.pow(Math.hypot(sr[k]!, si[k]!), run.steps);
      const phase = Math.atan2(si[k]!, sr[k]!) * run.steps;
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
 * grid is shifted right by (true mean - discrete mean).
 */
function discretise(run: GaussianSteps, grid: Grid): { pmf: Float64Array; shift: number } {
  const { n, zero, h } = grid;
  const tMin = -zero * h;
  const tMax = (n - 1 - zero) * h;
  const prv = subsampledGaussianPrv(run.q, run.noise);
  // Mass of (a, b]: by the CDF below 0 and the survival function above, each accurate in its own tail.
  const mass = (a: number, b: number) => (b <= 0 ? prv.cdf(b) - prv.cdf(a) : a >= 0 ? prv.survival(a) - prv.survival(b) : prv.cdf(0) - prv.cdf(a) + prv.survival(0) - prv.survival(b));
  const pmf = new Float64Array(n);
  let kept = 0;
  let discreteMean = 0;
  for (let i = 0; i < n; i++) {
    const t = (i - zero) * h;
    pmf[i] = mass(Math.max(tMin, t - h / 2), Math.min(tMax, t + h / 2));
    kept += pmf[i]!;
  }
  for (let i = 0; i < n; i++) {
    pmf[i] = pmf[i]! / kept;
    discreteMean += pmf[i]! * (i - zero) * h;
  }
  const shift = prv.mean - discreteMean;
  if (!(Math.abs(shift) < h / 2)) throw new Error(`PRV accountant: the discretised mean is off by ${shift}, over half the mesh ${h}`);
  return { pmf, shift };
}

/**
 * The PRV of one step (Gopi et al., Propositions B1, B4): with
 * z(t) = log((e^t - 1 + q) / q), Y <= t iff X <= s^2 z + 1/2, so
 * CDF(t) = (1-q) Phi(s z + 1/(2s)) + q Phi(s z - 1/(2s)) for e^t > 1 - q, else 0.
 * The mean is KL(P || Q), by Simpson's rule over x.
 */
function subsampledGaussianPrv(q: number, sigma: number) {
  const z = (t: number) => Math.log((Math.expm1(t) + q) / q);
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

/** KL(P || Q) = E_P[log((1-q) + q e^{(2x-1)/(2 s^2)})], Simpson's rule over x in [-20 s, 1 + 20 s]. */
function klDivergence(q: number, sigma: number): number {
  const a = -20 * sigma;
  const b = 1 + 20 * sigma;
  const steps = 20000;
  const dx = (b - a) / steps;
  const gauss = (x: number, m: number) => Math.exp(-((x - m) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
  const f = (x: number) => {
    const p = (1 - q) * gauss(x, 0) + q * gauss(x, 1);
    return p * Math.log1p(q * Math.expm1((2 * x - 1) / (2 * sigma * sigma)));
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
 */
function epsilonAt(pmf: Float64Array, grid: Grid, shift: number, target: number): number {
  let d1 = 0;
  let d2 = 0;
  let found = { d1: NaN, d2: NaN };
  for (let i = grid.n - 1; i >= 0; i--) {
    const t = (i - grid.zero) * grid.h + shift;
    d1 += pmf[i]!;
    d2 += pmf[i]! * Math.exp(-t);
    if (d1 - Math.exp(t) * d2 > target) break;
    found = { d1, d2 };
  }
  if (Number.isNaN(found.d1)) return Infinity; // delta is not reached on the grid: no bound from here
  return Math.max(0, Math.log((found.d1 - target) / found.d2));
}
