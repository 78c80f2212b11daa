/**
 * The convolution and matmul kernels of one backend, timed through the
 * Backend interface itself (no tape, no allocation in the timed region):
 * forward, backward-data, backward-filter and the three together, on the
 * standard shapes (shapes.ts), plus a 1024^3 matmul. Each time runs to the
 * read of a one-element handle, which waits for all queued work without
 * copying the output. Min and median of `reps` runs after warm-up runs
 * (V8 compiles WebAssembly functions again, optimised, between calls).
 */
import { textTable } from '../cli/text-table.js';
import type { Backend, BackendName, ConvGeometry, Handle } from '../engine/backend.js';
import { createBackend } from '../engine/backends/index.js';
import { Rng } from '../engine/index.js';
import { convFlops, convOutputSize, convShapes, type ConvShape } from './shapes.js';

export interface KernelBenchSettings {
  backend: BackendName;
  /** wasm only: threads, the calling one included. */
  threads?: number;
  reps: number;
  warmups: number;
  /** Only the shapes whose name contains this. */
  only: string;
  matmul: boolean;
}

export interface Timing {
  minMs: number;
  medianMs: number;
  /** From the min. */
  gflops: number;
}

export interface ConvRow {
  shape: string;
  /** Forward FLOPs; backward-data and backward-filter each count the same. */
  flops: number;
  forward: Timing;
  backwardData: Timing;
  backwardFilter: Timing;
  /** The three kernels run back to back: 3x the forward FLOPs. */
  forwardBackward: Timing;
}

export interface KernelBenchResult {
  bench: 'kernels';
  backend: BackendName;
  describe: string;
  /** GPU timestamps or wall time. */
  timing: string;
  reps: number;
  rows: ConvRow[];
  matmul: { shape: string; flops: number; forward: Timing } | null;
}

export function convGeometry(s: ConvShape): ConvGeometry {
  const [outH, outW] = convOutputSize(s);
  return {
    n: s.n, cIn: s.cIn, inH: s.h, inW: s.w, cOut: s.cOut, kH: s.k, kW: s.k,
    strideH: s.stride, strideW: s.stride, padH: s.padding, padW: s.padding, outH, outW,
  };
}

/** Min and median of `reps` timed runs of `once` after `warmups` untimed ones. */
export async function timeRuns(once: () => Promise<void>, reps: number, warmups: number, flops: number): Promise<Timing> {
  return timeSamples(async () => {
    const start = performance.now();
    await once();
    return performance.now() - start;
  }, reps, warmups, flops);
}

/** Min, median and GFLOP/s of `reps` samples of `sample` (milliseconds), after `warmups` unrecorded ones. */
async function timeSamples(sample: () => Promise<number>, reps: number, warmups: number, flops: number): Promise<Timing> {
  for (let i = 0; i < warmups; i++) await sample();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) ms.push(await sample());
  ms.sort((a, b) => a - b);
  return { minMs: ms[0]!, medianMs: ms[Math.floor(ms.length / 2)]!, gflops: flops / (ms[0]! * 1e6) };
}

/** Handles filled with uniform values in [-1, 1). */
function filled(b: Backend, rng: Rng, ...sizes: number[]): Handle[] {
  return sizes.map((n) => {
    const h = b.alloc(n);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = 2 * rng.uniform() - 1;
    b.write(h, v);
    return h;
  });
}

/**
 * The milliseconds of the kernels `run` queues: the device's timestamps where
 * the backend has them (webgpu with timestamp-query), else wall time until a
 * one-element read, which waits for everything queued.
 */
async function kernelMs(b: Backend, run: () => void, sync: Handle): Promise<number> {
  const gpuMs = b.timeKernels ? await b.timeKernels(run) : null;
  if (gpuMs !== null) return gpuMs;
  const start = performance.now();
  run();
  await b.read(sync);
  return performance.now() - start;
}

/** How benchKernels times a backend's kernels. */
export async function timingMethod(b: Backend): Promise<'GPU timestamps' | 'wall time to a readback'> {
  return b.timeKernels && (await b.timeKernels(() => {})) !== null ? 'GPU timestamps' : 'wall time to a readback';
}

async function benchConv(b: Backend, s: ConvShape, settings: KernelBenchSettings, rng: Rng): Promise<ConvRow> {
  const g = convGeometry(s);
  const xSize = g.n * g.cIn * g.inH * g.inW;
  const wSize = g.cOut * g.cIn * g.kH * g.kW;
  const ySize = g.n * g.cOut * g.outH * g.outW;
  const [x, w, bias, y, dx, dw, sync] = filled(b, rng, xSize, wSize, g.cOut, ySize, xSize, wSize, 1);
  const forward = () => b.conv2d(x!, w!, bias!, y!, g);
  const backwardData = () => b.conv2dBackwardData(y!, w!, dx!, g);
  const backwardFilter = () => b.conv2dBackwardFilter(x!, y!, dw!, g, { perSample: false });
  const flops = convFlops(s);
  const timed = (f: () => void, times: number) => timeSamples(() => kernelMs(b, f, sync!), settings.reps, settings.warmups, times * flops);
  const row: ConvRow = {
    shape: s.name,
    flops,
    forward: await timed(forward, 1),
    backwardData: await timed(backwardData, 1),
    backwardFilter: await timed(backwardFilter, 1),
    forwardBackward: await timed(() => (forward(), backwardData(), backwardFilter()), 3),
  };
  for (const h of [x, w, bias, y, dx, dw, sync]) b.free(h!);
  return row;
}

async function benchMatmul(b: Backend, settings: KernelBenchSettings, rng: Rng): Promise<KernelBenchResult['matmul']> {
  const n = 1024;
  const [a, m, c, sync] = filled(b, rng, n * n, n * n, n * n, 1);
  const flops = 2 * n ** 3;
  const g = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const forward = await timeSamples(() => kernelMs(b, () => b.matmul(a!, m!, c!, g), sync!), settings.reps, settings.warmups, flops);
  for (const h of [a, m, c, sync]) b.free(h!);
  return { shape: `matmul ${n}x${n}x${n}`, flops, forward };
}

export async function benchKernels(settings: KernelBenchSettings): Promise<KernelBenchResult> {
  const shapes = convShapes.filter((s) => s.name.includes(settings.only));
  const b = await createBackend(settings.backend, settings.threads === undefined ? {} : { threads: settings.threads });
  const rng = new Rng(0);
  const rows: ConvRow[] = [];
  for (const s of shapes) rows.push(await benchConv(b, s, settings, rng));
  const matmul = settings.matmul ? await benchMatmul(b, settings, rng) : null;
  return { bench: 'kernels', backend: b.name, describe: b.describe(), timing: await timingMethod(b), reps: settings.reps, rows, matmul };
}

/** The result as an aligned text table. */
export function formatKernelTable(r: KernelBenchResult): string[] {
  const cell = (t: Timing) => `${t.minMs.toFixed(1)}/${t.medianMs.toFixed(1)}`;
  const rows = r.rows.map((row) => [
    row.shape,
    cell(row.forward),
    row.forward.gflops.toFixed(1),
    cell(row.backwardData),
    cell(row.backwardFilter),
    cell(row.forwardBackward),
    row.forwardBackward.gflops.toFixed(1),
  ]);
  const header = ['shape', 'fwd ms', 'fwd GFLOP/s', 'bwd-data ms', 'bwd-filter ms', 'fwd+bwd ms', 'fwd+bwd GFLOP/s'];
  if (r.matmul) rows.push([r.matmul.shape, cell(r.matmul.forward), r.matmul.forward.gflops.toFixed(1), '', '', '', '']);
  return textTable(header, rows);
}
