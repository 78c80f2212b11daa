// Optimizer kernels: one torch.optim.Adam step over a list of parameters,
// each with its gradient and its two moments, in place, in one pass
// (engine/backend.ts `adam`). Work items are chunks of one parameter's
// elements, numbered across the list (the table gives each its first).
import { AdamParams } from './params';

/** Table entry fields, in 4-byte slots. */
const entrySlots = 8;

/** Items [begin, end) of one Adam step over the table's parameters. */
export function adam(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<AdamParams>(params);
  for (let k = 0; k < p.count; k++) {
    const e = p.table + (<usize>(k * entrySlots) << 2);
    const n = load<i32>(e, 16), first = load<i32>(e, 20);
    const items = (n + p.chunk - 1) / p.chunk;
    const from = max(begin, first), to = min(end, first + items);
    if (from >= to) continue;
    adamRange(p, e, (from - first) * p.chunk, min(n, (to - first) * p.chunk));
  }
}

/** Elements [i0, i1) of the parameter at table entry e. */
function adamRange(p: AdamParams, e: usize, i0: i32, i1: i32): void {
  const param = load<usize>(e), grad = load<usize>(e, 4), mp = load<usize>(e, 8), vp = load<usize>(e, 12);
  const stepSize = load<f32>(e, 24), sc2 = load<f32>(e, 28);
  const b1 = p.beta1, b2 = p.beta2, eps = p.eps, wd = p.weightDecay;
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(1 - b1), vc2 = f32x4.splat(1 - b2);
  const veps = f32x4.splat(eps), vwd = f32x4.splat(wd), vstep = f32x4.splat(stepSize), vsc2 = f32x4.splat(sc2);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const at = <usize>i << 2;
    const x = v128.load(param + at);
    const g = f32x4.add(v128.load(grad + at), f32x4.mul(vwd, x));
    const m = f32x4.add(f32x4.mul(vb1, v128.load(mp + at)), f32x4.mul(vc1, g));
    const v = f32x4.add(f32x4.mul(vb2, v128.load(vp + at)), f32x4.mul(vc2, f32x4.mul(g, g)));
    v128.store(mp + at, m);
    v128.store(vp + at, v);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), vsc2), veps);
    v128.store(param + at, f32x4.sub(x, f32x4.div(f32x4.mul(vstep, m), denom)));
  }
  for (; i < i1; i++) {
    const at = <usize>i << 2;
    const x = load<f32>(param + at);
    const g = load<f32>(grad + at) + wd * x;
    const m = b1 * load<f32>(mp + at) + (1 - b1) * g;
    const v = b2 * load<f32>(vp + at) + (1 - b2) * g * g;
    store<f32>(mp + at, m);
    store<f32>(vp + at, v);
    store<f32>(param + at, x - (stepSize * m) / (Mathf.sqrt(v) / sc2 + eps));
  }
}
