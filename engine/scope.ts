/**
 * Memory scopes. Every tensor made inside tidy(fn) is freed when fn returns,
 * except the tensors fn returns (which move to the enclosing scope) and those
 * passed to keep(). Parameters and optimizer state are kept and live until
 * dispose().
 */
import { state, untrack } from './state.js';
import { Tensor } from './tensor.js';

/** Tensors found in a returned value: a tensor, or arrays and plain objects of them. */
type Returned = Tensor | readonly Returned[] | { readonly [key: string]: Returned } | number | string | boolean | null | undefined | void;

export function tidy<T extends Returned>(fn: () => T): T {
  startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endScope([]);
    throw e;
  }
  if (result instanceof Promise) {
    endScope([]);
    throw new Error('tidy(fn): fn returned a Promise; tidy only tracks synchronous work');
  }
  endScope(tensorsIn(result));
  return result;
}

/** Lets `t` outlive every enclosing scope; it must then be disposed by hand. */
export function keep<T extends Tensor>(t: T): T {
  untrack(t);
  return t;
}

export function startScope(): void {
  state.scopes.push({ tensors: new Set() });
}

/** Frees the innermost scope's tensors but `survivors`, which move to the enclosing scope. */
export function endScope(survivors: readonly Tensor[]): void {
  const scope = state.scopes.pop();
  if (!scope) throw new Error('endScope() without startScope()');
  const parent = state.scopes.at(-1);
  for (const t of survivors) {
    if (scope.tensors.delete(t)) parent?.tensors.add(t);
  }
  for (const t of scope.tensors) t.dispose();
}

function tensorsIn(value: Returned, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) tensorsIn(v as Returned, out);
  return out;
}
