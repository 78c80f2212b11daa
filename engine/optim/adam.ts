/** torch.optim.Adam (amsgrad off), with L2 weight decay added to the gradient as PyTorch does. */
import type { AdamEntry } from '../backend.js';
import type { StateEntry } from '../nn/module.js';
import { tensor, zeros } from '../ops/creation.js';
import { mul } from '../ops/elementwise.js';
import { keep, tidy } from '../scope.js';
import { state } from '../state.js';
import { noGrad } from '../tape.js';
import { sameShape, sizeOf } from '../strides.js';
import type { Tensor } from '../tensor.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * Gives t storage of its own before an in-place update, so that a tensor
 * sharing the old storage (a reshaped view, a snapshot) keeps its values.
 */
function ownStorage(t: Tensor): void {
  if (t.storage.refs > 1) t.assign(mul(t, 1));
}

interface Moments {
  m: Tensor;
  v: Tensor;
  /** Updates this parameter has had: PyTorch's per-parameter `step`, which skips steps without a gradient. */
  step: number;
}

/** Throws `Adam: <name> must be <rule>, got <value>` unless ok(value): PyTorch's checks, eps > 0 besides (eps 0 divides 0 by 0). */
function checkOption(name: string, value: number, rule: string, ok: (v: number) => boolean): number {
  if (typeof value !== 'number' || !ok(value)) throw new Error(`Adam: ${name} must be ${rule}, got ${value}`);
  return value;
}
const finiteAtLeast0 = (v: number) => Number.isFinite(v) && v >= 0;
const inUnitInterval = (v: number) => v >= 0 && v < 1;

export class Adam {
  private learningRate = 0;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** Calls to step() so far. */
  stepCount = 0;
  private readonly moments: Moments[];

  constructor(
    readonly params: readonly Tensor[],
    options: AdamOptions = {},
  ) {
    this.lr = options.lr ?? 1e-3;
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.betas = [checkOption('betas[0]', beta1, 'in [0, 1)', inUnitInterval), checkOption('betas[1]', beta2, 'in [0, 1)', inUnitInterval)];
    this.eps = checkOption('eps', options.eps ?? 1e-8, 'finite and > 0', (v) => Number.isFinite(v) && v > 0);
    this.weightDecay = checkOption('weightDecay', options.weightDecay ?? 0, 'finite and >= 0', finiteAtLeast0);
    this.moments = params.map((p) => ({ m: keep(zeros(p.shape)), v: keep(zeros(p.shape)), step: 0 }));
  }

  /** May change between steps (a Flower server's config can set it per round). */
  get lr(): number {
    return this.learningRate;
  }

  set lr(value: number) {
    this.learningRate = checkOption('lr', value, 'finite and >= 0', finiteAtLeast0);
  }

  /** Updates every parameter that has a gradient, in place, in one backend call for them all. */
  step(): void {
    this.checkGradients();
    this.stepCount++;
    const [beta1, beta2] = this.betas;
    noGrad(() =>
      tidy(() => {
        const entries: AdamEntry[] = [];
        this.params.forEach((p, i) => {
          if (!p.grad) return;
          const moments = this.moments[i]!;
          moments.step++;
          const { m, v } = moments;
          for (const t of [p, m, v]) {
            ownStorage(t);
            t.storage.written(); // a graph that read p before this step can no longer be differentiated
          }
          entries.push({
            param: p.handle,
            grad: p.grad.handle,
            m: m.handle,
            v: v.handle,
            stepSize: this.lr / (1 - beta1 ** moments.step),
            sqrtCorrection2: Math.sqrt(1 - beta2 ** moments.step),
          });
        });
        if (entries.length > 0) state.backend.adam(entries, { beta1, beta2, eps: this.eps, weightDecay: this.weightDecay });
      }),
    );
  }

  /**
   * Refuses a gradient that is not the parameter's shape before anything moves: the kernel
   * walks the parameter's length, so a per-sample gradient [N, ...shape] left unreduced would
   * silently apply sample 0's.
   */
  private checkGradients(): void {
    this.params.forEach((p, i) => {
      if (p.grad && !sameShape(p.grad.shape, p.shape)) {
        throw new Error(`Adam.step: parameter ${i} [${p.shape}] has a gradient of shape [${p.grad.shape}]`);
      }
    });
  }

  /** Frees every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The optimizer state, e.g. for checkpoints: m, v and step per parameter, in order. */
  state(): readonly Moments[] {
    return this.moments;
  }

  /**
   * The state as named entries, PyTorch's optimizer state_dict layout:
   * `state.<i>.exp_avg`, `state.<i>.exp_avg_sq` and `state.<i>.step` (one value)
   * for parameter i.
   */
  async stateDict(): Promise<Map<string, StateEntry>> {
    const out = new Map<string, StateEntry>();
    for (const [i, { m, v, step }] of this.moments.entries()) {
      out.set(`state.${i}.exp_avg`, { shape: m.shape, values: await m.data() });
      out.set(`state.${i}.exp_avg_sq`, { shape: v.shape, values: await v.data() });
      out.set(`state.${i}.step`, { shape: [1], values: Float32Array.of(step) });
    }
    return out;
  }

  /**
   * Restores what stateDict() gave. Everything is checked before anything changes, so a corrupt
   * checkpoint is refused whole: moments of the parameter's shape with finite values (exp_avg_sq
   * >= 0), and a step that is a whole number >= 0 (others make the bias correction NaN or infinite).
   */
  loadStateDict(state: ReadonlyMap<string, StateEntry>): void {
    const expected = this.moments.length * 3;
    if (state.size !== expected) throw new Error(`Adam.loadStateDict: ${state.size} entries, expected ${expected}`);
    const loaded = this.params.map((p, i) => {
      const entry = (key: string, shape: readonly number[], ok: (v: number) => boolean, rule: string): Float32Array => {
        const name = `Adam.loadStateDict: state.${i}.${key}`;
        const e = state.get(`state.${i}.${key}`);
        if (!e) throw new Error(`${name} is missing`);
        if (!sameShape(e.shape, shape) || e.values.length !== sizeOf(shape)) {
          throw new Error(`${name} has shape [${e.shape}] and ${e.values.length} values, expected [${shape}]`);
        }
        const bad = e.values.findIndex((v) => !ok(v));
        if (bad >= 0) throw new Error(`${name} holds ${e.values[bad]} at ${bad}; values must be ${rule}`);
        return e.values;
      };
      return {
        m: entry('exp_avg', p.shape, Number.isFinite, 'finite'),
        v: entry('exp_avg_sq', p.shape, finiteAtLeast0, 'finite and >= 0'),
        step: entry('step', [1], (v) => Number.isInteger(v) && v >= 0, 'a whole number >= 0')[0]!,
      };
    });
    for (const [i, moments] of this.moments.entries()) {
      const { m, v, step } = loaded[i]!;
      for (const [to, values] of [[moments.m, m], [moments.v, v]] as const) {
        const t = tensor(values, to.shape);
        to.assign(t);
        t.dispose();
      }
      moments.step = step;
    }
    this.stepCount = Math.max(0, ...this.moments.map((mo) => mo.step));
  }

  dispose(): void {
    for (const { m, v } of this.moments) {
      m.dispose();
      v.dispose();
    }
  }
}
