/**
 * conv2d forward and forward+backward on one backend over the standard
 * shapes (bench/shapes.ts): min and median wall time of N runs, each timed
 * to readback, and GFLOP/s from the min.
 *
 *   node dist/bench/conv.bench.js [--backend js|wasm|webgpu|auto] [--reps N] [--quick] [--only TEXT] [--json]
 *
 * --quick: one run per shape and no warm-up (the js backend needs minutes).
 * --only: just the shapes whose name contains TEXT, e.g. --only 'k7'.
 */
import os from 'node:os';
import { conv2d, keep, manualSeed, randn, setBackend, tidy, type BackendChoice, type Tensor } from '../engine/index.js';
import { installNodePlatform } from '../platform/node.js';
import { convBackwardFlops, convFlops, convOutputSize, convShapes, type ConvShape } from './shapes.js';

interface Settings {
  backend: BackendChoice;
  reps: number;
  warmup: boolean;
  json: boolean;
  only: string;
}

interface Timing {
  minMs: number;
  medianMs: number;
  gflops: number;
}

interface Row {
  shape: string;
  forward: Timing;
  forwardBackward: Timing;
}

function parseArgs(argv: readonly string[]): Settings {
  const settings: Settings = { backend: 'js', reps: 3, warmup: true, json: false, only: '' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') settings.json = true;
    else if (arg === '--quick') Object.assign(settings, { reps: 1, warmup: false });
    else if (arg === '--backend' || arg === '--reps' || arg === '--only') {
      const value = argv[++i];
      if (value === undefined) usage(`${arg} needs a value`);
      if (arg === '--only') settings.only = value;
      else if (arg === '--backend') {
        if (!['js', 'wasm', 'webgpu', 'auto'].includes(value)) usage(`unknown backend '${value}'`);
        settings.backend = value as BackendChoice;
      } else {
        settings.reps = Number(value);
        if (!Number.isInteger(settings.reps) || settings.reps < 1) usage(`--reps needs a whole number >= 1, got '${value}'`);
      }
    } else usage(`unknown argument '${arg}'`);
  }
  return settings;
}

function usage(problem: string): never {
  console.error(`conv.bench: ${problem}\nusage: node dist/bench/conv.bench.js [--backend js|wasm|webgpu|auto] [--reps N] [--quick] [--only TEXT] [--json]`);
  process.exit(2);
}

/** Runs `once` (which resolves after readback) reps times; min and median in ms. */
async function time(once: () => Promise<void>, reps: number, warmup: boolean, flops: number): Promise<Timing> {
  if (warmup) await once();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    await once();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const minMs = ms[0]!;
  return { minMs, medianMs: ms[Math.floor(ms.length / 2)]!, gflops: flops / (minMs * 1e6) };
}

async function benchShape(s: ConvShape, settings: Settings): Promise<Row> {
  const [outH, outW] = convOutputSize(s);
  const x = keep(randn([s.n, s.cIn, s.h, s.w], { requiresGrad: true }));
  const w = keep(randn([s.cOut, s.cIn, s.k, s.k], { requiresGrad: true }));
  const b = keep(randn([s.cOut], { requiresGrad: true }));
  const dy = keep(randn([s.n, s.cOut, outH, outW]));
  const options = { stride: s.stride, padding: s.padding };
  const forward = await time(async () => {
    const y = tidy(() => conv2d(x, w, b, options));
    await y.data();
    y.dispose();
  }, settings.reps, settings.warmup, convFlops(s));
  const forwardBackward = await time(async () => {
    tidy(() => conv2d(x, w, b, options).backward({ gradient: dy }));
    const grads = [x, w, b].map((t) => t.grad!);
    await Promise.all(grads.map((g) => g.data()));
    for (const t of [x, w, b] as Tensor[]) {
      t.grad!.dispose();
      t.grad = null;
    }
  }, settings.reps, settings.warmup, convFlops(s) + convBackwardFlops(s));
  [x, w, b, dy].forEach((t) => t.dispose());
  return { shape: s.name, forward, forwardBackward };
}

function formatRow(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const shapes = convShapes.filter((s) => s.name.includes(settings.only));
  if (shapes.length === 0) usage(`no standard shape contains '${settings.only}'`);
  installNodePlatform();
  const backend = await setBackend(settings.backend);
  manualSeed(0);
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${os.platform()} ${os.release()}, Node ${process.version}`;
  if (!settings.json) {
    console.log(`conv2d benchmark: backend ${backend.name} (${backend.describe()})`);
    console.log(`machine: ${machine}`);
    console.log(`runs: ${settings.reps} per shape${settings.warmup ? ' after one warm-up' : ', no warm-up'}; times to readback; GFLOP/s from the min`);
    console.log('FLOPs: forward 2*N*Cout*Hout*Wout*Cin*k*k, backward counted as 2x forward\n');
  }
  const widths = [26, 18, 12, 20, 16];
  if (!settings.json) console.log(formatRow(['shape', 'fwd ms min/med', 'fwd GFLOP/s', 'fwd+bwd ms min/med', 'fwd+bwd GFLOP/s'], widths));
  const rows: Row[] = [];
  for (const s of shapes) {
    const row = await benchShape(s, settings);
    rows.push(row);
    if (!settings.json) {
      const ms = (t: Timing) => `${t.minMs.toFixed(1)}/${t.medianMs.toFixed(1)}`;
      console.log(formatRow([row.shape, ms(row.forward), row.forward.gflops.toFixed(3), ms(row.forwardBackward), row.forwardBackward.gflops.toFixed(3)], widths));
    }
  }
  if (settings.json) console.log(JSON.stringify({ bench: 'conv2d', backend: backend.name, machine, reps: settings.reps, warmup: settings.warmup, rows }, null, 2));
}

main().catch((e: unknown) => {
  console.error(`conv.bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
