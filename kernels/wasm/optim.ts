// Optimizer kernels: one torch.optim.Adam step over a parameter, its gradient
// and its two moments, in place, in one pass (engine/backend.ts `adam`).
// Work items are chunks of elements.
import { AdamParams } from './params';

/** Chunks [begin, end) of one Adam step. */
export function adam(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<AdamParams>(params);
  const i1 = min(p.n, end * p.chunk);
  const b1 = p.beta1, b2 = p.beta2, eps = p.eps, wd = p.weightDecay, stepSize = p.stepSize, sc2 = p.sqrtCorrection2;
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(1 - b1), vc2 = f32x4.splat(1 - b2);
  const veps = f32x4.splat(eps), vwd = f32x4.splat(wd), vstep = f32x4.splat(stepSize), vsc2 = f32x4.splat(sc2);
  let i = begin * p.chunk;
  for (; i + 4 <= i1; i += 4) {
    const at = <usize>i << 2;
    const x = v128.load(p.param + at);
    const g = f32x4.add(v128.load(p.grad + at), f32x4.mul(vwd, x));
    const m = f32x4.add(f32x4.mul(vb1, v128.load(p.m + at)), f32x4.mul(vc1, g));
    const v = f32x4.add(f32x4.mul(vb2, v128.load(p.v + at)), f32x4.mul(vc2, f32x4.mul(g, g)));
    v128.store(p.m + at, m);
    v128.store(p.v + at, v);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), vsc2), veps);
    v128.store(p.param + at, f32x4.sub(x, f32x4.div(f32x4.mul(vstep, m), denom)));
  }
  for (; i < i1; i++) {
    const at = <usize>i << 2;
    const x = load<f32>(p.param + at);
    const g = load<f32>(p.grad + at) + wd * x;
    const m = b1 * load<f32>(p.m + at) + (1 - b1) * g;
    const v = b2 * load<f32>(p.v + at) + (1 - b2) * g * g;
    store<f32>(p.m + at, m);
    store<f32>(p.v + at, v);
    store<f32>(p.param + at, x - (stepSize * m) / (Mathf.sqrt(v) / sc2 + eps));
  }
}
