/**
 * conv2d forward and forward+backward on one backend over the standard
 * shapes (bench/shapes.ts): min and median wall time of N runs, each timed
 * to readback, and GFLOP/s from the min.
 *
 *   npm run bench -- [--backend js|wasm|webgpu|auto] [--reps N] [--quick] [--only TEXT] [--json]   (--help says more)
 */
import { conv2d, keep, manualSeed, randn, setBackend, tidy, type BackendChoice, type Tensor } from '../engine/index.js';
import { installNodePlatform } from '../platform/node.js';
import { benchFlags } from './args.js';
import { timeRuns, type Timing } from './kernels.js';
import { machineLine } from './machine.js';
import { convBackwardFlops, convFlops, convOutputSize, convShapes, type ConvShape } from './shapes.js';

interface Settings {
  backend: BackendChoice;
  reps: number;
  warmup: boolean;
  json: boolean;
  only: string;
}

interface Row {
  shape: string;
  forward: Timing;
  forwardBackward: Timing;
}

function settingsFrom(argv: readonly string[]): Settings {
  const flags = benchFlags('conv.bench', 'npm run bench -- [flags]', {
    backend: { type: 'string', choices: ['js', 'wasm', 'webgpu', 'auto'], default: 'js', help: 'the backend timed' },
    reps: { type: 'int', min: 1, default: 3, help: 'timed runs per shape' },
    quick: { type: 'boolean', help: 'one run per shape and no warm-up (the js backend needs minutes)' },
    only: { type: 'string', default: '', placeholder: 'TEXT', help: "just the shapes whose name contains TEXT, e.g. 'k7'" },
    json: { type: 'boolean', help: 'print JSON instead of a table' },
  }, argv);
  const quick = flags.quick === true;
  return { backend: flags.backend as BackendChoice, reps: quick ? 1 : (flags.reps as number), warmup: !quick, json: flags.json === true, only: flags.only as string };
}

async function benchShape(s: ConvShape, settings: Settings): Promise<Row> {
  const [outH, outW] = convOutputSize(s);
  const x = keep(randn([s.n, s.cIn, s.h, s.w], { requiresGrad: true }));
  const w = keep(randn([s.cOut, s.cIn, s.k, s.k], { requiresGrad: true }));
  const b = keep(randn([s.cOut], { requiresGrad: true }));
  const dy = keep(randn([s.n, s.cOut, outH, outW]));
  const options = { stride: s.stride, padding: s.padding };
  const warmups = settings.warmup ? 1 : 0;
  const forward = await timeRuns(async () => {
    const y = tidy(() => conv2d(x, w, b, options));
    await y.data();
    y.dispose();
  }, settings.reps, warmups, convFlops(s));
  const forwardBackward = await timeRuns(async () => {
    tidy(() => conv2d(x, w, b, options).backward({ gradient: dy }));
    const grads = [x, w, b].map((t) => t.grad!);
    await Promise.all(grads.map((g) => g.data()));
    for (const t of [x, w, b] as Tensor[]) {
      t.grad!.dispose();
      t.grad = null;
    }
  }, settings.reps, warmups, convFlops(s) + convBackwardFlops(s));
  [x, w, b, dy].forEach((t) => t.dispose());
  return { shape: s.name, forward, forwardBackward };
}

function formatRow(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  const shapes = convShapes.filter((s) => s.name.includes(settings.only));
  if (shapes.length === 0) throw new Error(`no standard shape contains '${settings.only}'`);
  installNodePlatform();
  const backend = await setBackend(settings.backend);
  manualSeed(0);
  const machine = machineLine();
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
