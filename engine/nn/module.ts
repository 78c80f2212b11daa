/**
 * Modules hold parameters and child modules as ordinary fields. One walk
 * (namedParameters) turns the fields into PyTorch state_dict names: field
 * names joined by '.', arrays of modules numbered 0, 1, 2, ... in order.
 */
import { tensor } from '../ops/creation.js';
import { keep } from '../scope.js';
import { sameShape } from '../strides.js';
import { noGrad } from '../tape.js';
import { Tensor } from '../tensor.js';

/** Marks a tensor as a trainable parameter: it wants gradients and outlives scopes. */
export function parameter(t: Tensor): Tensor {
  t.requiresGrad = true;
  return keep(t);
}

/** Values and shape of one state_dict entry, as read from a checkpoint. */
export interface StateEntry {
  shape: readonly number[];
  values: Float32Array;
}

export abstract class Module {
  abstract forward(x: Tensor): Tensor;

  /** [name, parameter] pairs in declaration order, named as PyTorch's state_dict. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      const name = prefix + key;
      if (value instanceof Tensor) {
        if (value.requiresGrad) out.push([name, value]);
      } else if (value instanceof Module) {
        out.push(...value.namedParameters(`${name}.`));
      } else if (Array.isArray(value) && value.every((v) => v instanceof Module)) {
        value.forEach((m: Module, i) => out.push(...m.namedParameters(`${name}.${i}.`)));
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Copies of every parameter's values, keyed by state_dict name. */
  async stateDict(): Promise<Map<string, StateEntry>> {
    const out = new Map<string, StateEntry>();
    for (const [name, p] of this.namedParameters()) out.set(name, { shape: p.shape, values: await p.data() });
    return out;
  }

  /** Overwrites every parameter from `state`; names and shapes must match exactly. */
  loadStateDict(state: ReadonlyMap<string, StateEntry>): void {
    const own = this.namedParameters();
    const missing = own.filter(([name]) => !state.has(name)).map(([name]) => name);
    const unexpected = [...state.keys()].filter((k) => !own.some(([name]) => name === k));
    if (missing.length || unexpected.length) {
      throw new Error(`loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
    noGrad(() => {
      for (const [name, p] of own) {
        const entry = state.get(name)!;
        if (!sameShape(entry.shape, p.shape)) {
          throw new Error(`loadStateDict: ${name} is [${entry.shape}] in the state, [${p.shape}] in the module`);
        }
        const src = tensor(entry.values, p.shape);
        p.assign(src);
        src.dispose();
      }
    });
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}
