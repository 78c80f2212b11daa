import type { AdamEntry, AdamStep } from '../../backend.js';
import { arr } from './storage.js';

export function adam(entries: readonly AdamEntry[], s: AdamStep): void {
  for (const e of entries) {
    const ps = arr(e.param), gs = arr(e.grad), ms = arr(e.m), vs = arr(e.v);
    for (let i = 0; i < ps.length; i++) {
      const g = gs[i]! + s.weightDecay * ps[i]!;
      const mi = s.beta1 * ms[i]! + (1 - s.beta1) * g;
      const vi = s.beta2 * vs[i]! + (1 - s.beta2) * g * g;
      ms[i] = mi;
      vs[i] = vi;
      ps[i] = ps[i]! - (e.stepSize * mi) / (Math.sqrt(vi) / e.sqrtCorrection2 + s.eps);
    }
  }
}
