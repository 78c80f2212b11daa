/** torch.optim.Adam (amsgrad off), with L2 weight decay added to the gradient as PyTorch does. */
import type { AdamEntry } from '../backend.js';
import type { StateEntry } from '../nn/module.js';
import { tensor, zeros } from '../ops/creation.js';
import { mul } from '../ops/elementwise.js';
import { keep, tidy } from '../scope.js';
import { state } from '../state.js';
import { noGrad } from '../tape.js';
import { sameShape, type Tensor } from '../tensor.js';

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

export class Adam {
  /** May change between steps (a Flower server's config can set it per round). */
  lr: number;
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
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.moments = params.map((p) => ({ m: keep(zeros(p.shape)), v: keep(zeros(p.shape)), step: 0 }));
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
          for (const t of [p, m, v]) ownStorage(t);
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

  /** Restores what stateDict() gave; shapes must match the parameters. */
  loadStateDict(state: ReadonlyMap<string, StateEntry>): void {
    const expected = this.moments.length * 3;
    if (state.size !== expected) throw new Error(`Adam.loadStateDict: ${state.size} entries, expected ${expected}`);
    for (const [i, moments] of this.moments.entries()) {
      const entry = (key: string, size: number): StateEntry => {
        const e = state.get(`state.${i}.${key}`);
        if (!e || e.values.length !== size) throw new Error(`Adam.loadStateDict: state.${i}.${key} is missing or not ${size} values`);
        return e;
      };
      const m = tensor(entry('exp_avg', moments.m.size).values, moments.m.shape);
      const v = tensor(entry('exp_avg_sq', moments.v.size).values, moments.v.shape);
      moments.m.assign(m);
      moments.v.assign(v);
      m.dispose();
      v.dispose();
      moments.step = entry('step', 1).values[0]!;
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
