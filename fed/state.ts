/** Named parameter lists to host values and back: what clients send, servers average and checkpoints keep. */
import { noGrad, tensor, type StateEntry, type Tensor } from '../engine/index.js';

export type NamedTensors = readonly (readonly [string, Tensor])[];

/** Copies of the values, by name. */
export async function readNamed(params: NamedTensors): Promise<Map<string, StateEntry>> {
  const out = new Map<string, StateEntry>();
  for (const [name, p] of params) out.set(name, { shape: p.shape, values: await p.data() });
  return out;
}

/**
 * Overwrites each parameter in place (its identity, and so any optimizer
 * state tied to it, stays). `state` must hold exactly these names with
 * matching sizes; `where` names the source in errors.
 */
export function writeNamed(params: NamedTensors, state: ReadonlyMap<string, StateEntry>, where: string): void {
  if (params.length !== state.size) throw new Error(`${where}: ${state.size} tensors where ${params.length} parameters are expected`);
  for (const [name, p] of params) {
    const entry = state.get(name);
    if (!entry || entry.values.length !== p.size) throw new Error(`${where}: no ${name} of ${p.size} values`);
  }
  noGrad(() => {
    for (const [name, p] of params) {
      const src = tensor(state.get(name)!.values, p.shape);
      p.assign(src);
      src.dispose();
    }
  });
}
