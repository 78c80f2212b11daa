import type { AdamStep, Handle } from '../../backend.js';
import { arr } from './storage.js';

export function adam(param: Handle, grad: Handle, m: Handle, v: Handle, s: AdamStep): void {
  const ps = arr(param), gs = arr(grad), ms = arr(m), vs = arr(v);
  for (let i = 0; i < ps.length; i++) {
    const g = gs[i]! + s.weightDecay * ps[i]!;
    const mi = s.beta1 * ms[i]! + (1 - s.beta1) * g;
    const vi = s.beta2 * vs[i]! + (1 - s.beta2) * g * g;
    ms[i] = mi;
    vs[i] = vi;
    ps[i] = ps[i]! - (s.stepSize * mi) / (Math.sqrt(vi) / s.sqrtCorrection2 + s.eps);
  }
}
