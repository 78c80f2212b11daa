import type { Handle, LossOp } from '../../backend.js';
import { arr } from './storage.js';

/** Each loss op's value and derivative at d = a - b. */
const losses: Record<LossOp, { value: (d: number) => number; derivative: (d: number) => number }> = {
  l1: { value: Math.abs, derivative: Math.sign },
  mse: { value: (d) => d * d, derivative: (d) => 2 * d },
};

export function pointLoss(op: LossOp, a: Handle, b: Handle | null, target: number, y: Handle): void {
  const as = arr(a), bs = b ? arr(b) : null;
  let total = 0;
  for (let i = 0; i < as.length; i++) total += losses[op].value(as[i]! - (bs ? bs[i]! : target));
  arr(y)[0] = total / as.length;
}

export function pointLossBackward(op: LossOp, a: Handle, b: Handle | null, target: number, dy: Handle, da: Handle): void {
  const as = arr(a), bs = b ? arr(b) : null, out = arr(da);
  const scale = arr(dy)[0]! / as.length;
  for (let i = 0; i < as.length; i++) out[i] = scale * losses[op].derivative(as[i]! - (bs ? bs[i]! : target));
}
