/**
 * fedmed's wasm backend against its peers on the standard shapes, in one
 * run: @tensorflow/tfjs-backend-wasm in this process on the same inputs
 * (forward only: tfjs-wasm has no Conv2DBackpropFilter kernel), and PyTorch
 * CPU through Debian's /usr/bin/python3 when torch imports there (forward and
 * forward+backward). Prints each peer's min ms and fedmed's speed-up over it.
 *
 *   npm run bench:peers -- [--threads N] [--reps N] [--only TEXT] [--no-torch] [--json]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { textTable } from '../cli/text-table.js';
import type { Backend, Handle } from '../engine/backend.js';
import { createBackend } from '../engine/backends/index.js';
import { platform, Rng } from '../engine/index.js';
import { installNodePlatform } from '../platform/node.js';
import { benchFlags } from './args.js';
import { convGeometry, timeRuns, type Timing } from './kernels.js';
import { loadLine, machineLine } from './machine.js';
import { convFlops, convShapes, type ConvShape } from './shapes.js';

interface Settings {
  threads: number;
  reps: number;
  warmups: number;
  only: string;
  torch: boolean;
  json: boolean;
}

interface PeerRow {
  shape: string;
  flops: number;
  fedmedForwardMs: number;
  fedmedForwardBackwardMs: number;
  tfjsForwardMs: number;
  /** max |fedmed - tfjs| / max |tfjs| over the forward output: both computed the same thing. */
  tfjsForwardDifference: number;
  torchForwardMs: number | null;
  torchForwardBackwardMs: number | null;
}

const torchPython = '/usr/bin/python3';
const matmulSize = 1024;

function settingsFrom(argv: readonly string[]): Settings {
  installNodePlatform();
  const flags = benchFlags('bench:peers', 'npm run bench:peers -- [flags]', {
    threads: { type: 'int', min: 1, default: platform().cores(), help: "threads for fedmed's wasm backend and tfjs-wasm alike" },
    reps: { type: 'int', min: 1, default: 5, help: 'timed runs per shape and peer' },
    only: { type: 'string', default: '', placeholder: 'TEXT', help: 'just the shapes whose name contains TEXT' },
    'no-torch': { type: 'boolean', help: 'leave PyTorch out' },
    json: { type: 'boolean', help: 'print JSON instead of a table' },
  }, argv);
  return { threads: flags.threads as number, reps: flags.reps as number, warmups: 2, only: flags.only as string, torch: flags['no-torch'] !== true, json: flags.json === true };
}

function randomValues(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 2 * rng.uniform() - 1;
  return v;
}

function handleOf(b: Backend, values: Float32Array): Handle {
  const h = b.alloc(values.length);
  b.write(h, values);
  return h;
}

/** [d0, d1, d2, d3] -> the axes in `order`: NCHW to NHWC is [0, 2, 3, 1], OIHW to HWIO [2, 3, 1, 0]. */
function permute(values: Float32Array, dims: readonly number[], order: readonly number[]): Float32Array {
  const out = new Float32Array(values.length);
  const strides = [dims[1]! * dims[2]! * dims[3]!, dims[2]! * dims[3]!, dims[3]!, 1];
  const outDims = order.map((a) => dims[a]!);
  let o = 0;
  for (let a = 0; a < outDims[0]!; a++)
    for (let b = 0; b < outDims[1]!; b++)
      for (let c = 0; c < outDims[2]!; c++)
        for (let d = 0; d < outDims[3]!; d++) {
          const idx = [a, b, c, d];
          let from = 0;
          order.forEach((axis, i) => (from += idx[i]! * strides[axis]!));
          out[o++] = values[from]!;
        }
  return out;
}

async function benchShape(b: Backend, s: ConvShape, settings: Settings, rng: Rng): Promise<Omit<PeerRow, 'torchForwardMs' | 'torchForwardBackwardMs'>> {
  const g = convGeometry(s);
  const xValues = randomValues(rng, g.n * g.cIn * g.inH * g.inW);
  const wValues = randomValues(rng, g.cOut * g.cIn * g.kH * g.kW);
  const ySize = g.n * g.cOut * g.outH * g.outW;
  const [x, w, y, dx, dw, sync] = [xValues, wValues, new Float32Array(ySize), xValues, wValues, new Float32Array(1)].map((v) => handleOf(b, v));
  const done = async () => void (await b.read(sync!));
  const flops = convFlops(s);
  const fedmedForward = await timeRuns(async () => (b.conv2d(x!, w!, null, y!, g), done()), settings.reps, settings.warmups, flops);
  const fedmedForwardBackward = await timeRuns(
    async () => (b.conv2d(x!, w!, null, y!, g), b.conv2dBackwardData(y!, w!, dx!, g), b.conv2dBackwardFilter(x!, y!, dw!, g, { perSample: false }), done()),
    settings.reps, settings.warmups, 3 * flops,
  );
  b.conv2d(x!, w!, null, y!, g);
  const ours = await b.read(y!);
  for (const h of [x, w, y, dx, dw, sync]) b.free(h!);

  // tfjs in its native layout, NHWC activations and HWIO filters; its wasm backend runs synchronously.
  const tx = tf.tensor4d(permute(xValues, [g.n, g.cIn, g.inH, g.inW], [0, 2, 3, 1]), [g.n, g.inH, g.inW, g.cIn]);
  const tw = tf.tensor4d(permute(wValues, [g.cOut, g.cIn, g.kH, g.kW], [2, 3, 1, 0]), [g.kH, g.kW, g.cIn, g.cOut]);
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [s.padding, s.padding], [s.padding, s.padding], [0, 0]];
  const tfConv = () => tf.conv2d(tx, tw, s.stride, pad);
  const tfjsForward: Timing = await timeRuns(async () => tfConv().dispose(), settings.reps, settings.warmups, flops);
  const ty = tfConv();
  const theirs = permute(await ty.data() as Float32Array, [g.n, g.outH, g.outW, g.cOut], [0, 3, 1, 2]);
  for (const t of [tx, tw, ty]) t.dispose();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < theirs.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
    scale = Math.max(scale, Math.abs(theirs[i]!));
  }
  return {
    shape: s.name,
    flops,
    fedmedForwardMs: fedmedForward.minMs,
    fedmedForwardBackwardMs: fedmedForwardBackward.minMs,
    tfjsForwardMs: tfjsForward.minMs,
    tfjsForwardDifference: diff / scale,
  };
}

async function benchMatmul(b: Backend, settings: Settings, rng: Rng): Promise<{ fedmedMs: number; tfjsMs: number }> {
  const n = matmulSize;
  const av = randomValues(rng, n * n);
  const bv = randomValues(rng, n * n);
  const [a, m, c, sync] = [av, bv, new Float32Array(n * n), new Float32Array(1)].map((v) => handleOf(b, v));
  const g = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const flops = 2 * n ** 3;
  const fedmed = await timeRuns(async () => (b.matmul(a!, m!, c!, g), void (await b.read(sync!))), settings.reps, settings.warmups, flops);
  for (const h of [a, m, c, sync]) b.free(h!);
  const ta = tf.tensor2d(av, [n, n]);
  const tb = tf.tensor2d(bv, [n, n]);
  const tfjs = await timeRuns(async () => tf.matMul(ta, tb).dispose(), settings.reps, settings.warmups, flops);
  ta.dispose();
  tb.dispose();
  return { fedmedMs: fedmed.minMs, tfjsMs: tfjs.minMs };
}

interface TorchResult {
  torch: string;
  threads: number;
  rows: { shape: string; forwardMs: number; forwardBackwardMs: number }[];
  matmul: { n: number; ms: number } | null;
}

/** PyTorch's figures from bench/torch_peer.py, or why there are none. */
function runTorch(shapes: readonly ConvShape[], settings: Settings): TorchResult | string {
  const script = fileURLToPath(new URL('../../bench/torch_peer.py', import.meta.url));
  const input = JSON.stringify({ threads: settings.threads, reps: settings.reps, warmups: settings.warmups, shapes, matmul: matmulSize });
  const run = spawnSync(torchPython, [script], { input, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.error) return `${torchPython} did not run (${run.error.message})`;
  if (run.status !== 0) return `torch did not run: ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout) as TorchResult;
}

const ratio = (theirs: number | null | undefined, ours: number) => (theirs ? `${(theirs / ours).toFixed(2)}x` : '-');
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(1));
const gflops = (flops: number, v: number) => (flops / (v * 1e6)).toFixed(1);

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  const shapes = convShapes.filter((s) => s.name.includes(settings.only));
  if (shapes.length === 0) throw new Error(`no standard shape contains '${settings.only}'`);
  const b = await createBackend('wasm', { threads: settings.threads });
  setThreadsCount(settings.threads);
  await tf.setBackend('wasm');
  const tfjsThreads = getThreadsCount();
  const rng = new Rng(1);
  const machine = machineLine();
  const loadBefore = loadLine();
  const rows: PeerRow[] = [];
  for (const s of shapes) rows.push({ ...(await benchShape(b, s, settings, rng)), torchForwardMs: null, torchForwardBackwardMs: null });
  const matmul = await benchMatmul(b, settings, rng);
  const torch = settings.torch ? runTorch(shapes, settings) : 'skipped (--no-torch)';
  if (typeof torch !== 'string') {
    for (const row of rows) {
      const t = torch.rows.find((r) => r.shape === row.shape);
      row.torchForwardMs = t?.forwardMs ?? null;
      row.torchForwardBackwardMs = t?.forwardBackwardMs ?? null;
    }
  }
  const torchMatmulMs = typeof torch === 'string' ? null : (torch.matmul?.ms ?? null);
  const peers = {
    fedmed: b.describe(),
    tfjs: `@tensorflow/tfjs-backend-wasm ${tf.version_core}, ${tfjsThreads} thread${tfjsThreads === 1 ? '' : 's'}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}`,
    torch: typeof torch === 'string' ? torch : `PyTorch ${torch.torch} CPU, ${torch.threads} threads`,
  };
  if (settings.json) {
    console.log(JSON.stringify({ bench: 'peers', machine, load: loadBefore, reps: settings.reps, peers, rows, matmul: { ...matmul, torchMs: torchMatmulMs } }, null, 2));
    return;
  }
  console.log(`peers on the standard shapes: min ms of ${settings.reps} runs after ${settings.warmups} warm-ups; speed-up = their ms / fedmed's ms`);
  console.log(`machine: ${machine}; ${loadBefore}`);
  for (const [name, what] of Object.entries(peers)) console.log(`  ${name}: ${what}`);
  console.log('tfjs-wasm has no Conv2DBackpropFilter kernel: it is compared on the forward only.\n');
  const header = ['shape', 'fedmed fwd', 'GFLOP/s', 'tfjs fwd', 'vs tfjs', 'torch fwd', 'vs torch', 'fedmed fwd+bwd', 'GFLOP/s', 'torch fwd+bwd', 'vs torch'];
  const body = rows.map((r) => [
    r.shape, ms(r.fedmedForwardMs), gflops(r.flops, r.fedmedForwardMs), ms(r.tfjsForwardMs), ratio(r.tfjsForwardMs, r.fedmedForwardMs),
    ms(r.torchForwardMs), ratio(r.torchForwardMs, r.fedmedForwardMs),
    ms(r.fedmedForwardBackwardMs), gflops(3 * r.flops, r.fedmedForwardBackwardMs), ms(r.torchForwardBackwardMs), ratio(r.torchForwardBackwardMs, r.fedmedForwardBackwardMs),
  ]);
  const mm = 2 * matmulSize ** 3;
  body.push([
    `matmul ${matmulSize}^3`, ms(matmul.fedmedMs), gflops(mm, matmul.fedmedMs), ms(matmul.tfjsMs), ratio(matmul.tfjsMs, matmul.fedmedMs),
    ms(torchMatmulMs), ratio(torchMatmulMs, matmul.fedmedMs), '', '', '', '',
  ]);
  for (const line of textTable(header, body)) console.log(line);
  const worst = Math.max(...rows.map((r) => r.tfjsForwardDifference));
  console.log(`\nfedmed and tfjs forward outputs agree to ${worst.toExponential(1)} of the largest value.`);
}

main().catch((e: unknown) => {
  console.error(`bench:peers: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
