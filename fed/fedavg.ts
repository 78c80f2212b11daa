/**
 * Federated averaging (McMahan et al. 2017) of generator state dicts: each
 * parameter is the average of the clients' values weighted by their sample
 * counts, normalised to sum to one.
 */
import type { StateEntry } from '../engine/index.js';

export interface ClientUpdate {
  /** The client's generator parameters after its local epochs, by state_dict name. */
  state: ReadonlyMap<string, StateEntry>;
  /** How many training items the client holds (its weight in the average). */
  samples: number;
}

export function federatedAverage(updates: readonly ClientUpdate[]): Map<string, StateEntry> {
  if (updates.length === 0) throw new Error('federatedAverage: no client updates');
  const total = updates.reduce((n, u) => n + u.samples, 0);
  if (!(total > 0) || updates.some((u) => !(u.samples >= 0))) {
    throw new Error(`federatedAverage: sample counts must be >= 0 with a positive total, got [${updates.map((u) => u.samples)}]`);
  }
  const first = updates[0]!.state;
  const out = new Map<string, StateEntry>();
  for (const [name, entry] of first) {
    const sum = new Float64Array(entry.values.length);
    for (const [k, u] of updates.entries()) {
      const other = u.state.get(name);
      if (!other || other.values.length !== sum.length) {
        throw new Error(`federatedAverage: client ${k} has no parameter ${name} of ${sum.length} values`);
      }
      const w = u.samples / total;
      for (let i = 0; i < sum.length; i++) sum[i] += w * other.values[i]!;
    }
    out.set(name, { shape: entry.shape, values: Float32Array.from(sum) });
  }
  for (const [k, u] of updates.entries()) {
    if (u.state.size !== first.size) throw new Error(`federatedAverage: client ${k} has ${u.state.size} parameters, client 0 has ${first.size}`);
  }
  return out;
}
