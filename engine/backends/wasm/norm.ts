/** Glue for kernels/wasm/norm.ts: instance norm forward and backward, planes shared between threads. */
import { unaryOps, type NormGeometry } from '../../backend.js';
import type { WasmContext } from './context.js';
import { normLayout, writeParams } from './params.js';

/** Values below which a pass stays on the calling thread: waking workers costs more. */
const parallelValues = 1 << 15;

/** Pointers of the handles a pass uses (0 for the rest). */
type Pointers = Partial<Record<'x' | 'weight' | 'bias' | 'y' | 'stats' | 'dy' | 'dx' | 'dWeight' | 'dBias', number>>;

function run(ctx: WasmContext, kernel: 'instanceNorm' | 'instanceNormBackward', pointers: Pointers, g: NormGeometry): void {
  const at = writeParams(ctx.heap, ctx.params, normLayout, {
    x: 0, weight: 0, bias: 0, y: 0, stats: 0, dy: 0, dx: 0, dWeight: 0, dBias: 0, ...pointers,
    planes: g.planes, channels: g.channels, size: g.size, eps: g.eps,
    activation: g.activation ? unaryOps.indexOf(g.activation.op) : -1, activationAlpha: g.activation?.alpha ?? 0,
  });
  const grain = Math.max(1, Math.floor(8192 / g.size));
  ctx.pool.run(kernel, at, g.planes, grain, g.planes * g.size >= parallelValues);
}

export function instanceNorm(ctx: WasmContext, pointers: { x: number; weight: number; bias: number; y: number; stats: number }, g: NormGeometry): void {
  run(ctx, 'instanceNorm', pointers, g);
}

/** With g.activation, y (the forward's output) gives the activation's derivative. */
export function instanceNormBackward(ctx: WasmContext, pointers: { x: number; stats: number; dy: number; weight: number; dx: number; dWeight: number; dBias: number; y: number }, g: NormGeometry): void {
  run(ctx, 'instanceNormBackward', pointers, g);
}
