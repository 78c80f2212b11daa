/**
 * The three convolution kernels on the webgpu backend, each on its own, over
 * the standard shapes (bench/shapes.ts): forward, backward-data and
 * backward-filter, min and median of --reps runs, in ms and GFLOP/s. Timed
 * with GPU timestamps where the adapter has timestamp-query, else wall time
 * around a readback of the output. bench/conv.bench.ts measures the engine's
 * conv2d forward and forward+backward on any backend, to readback.
 *
 *   node dist/bench/webgpu.bench.js [--reps 5] [--only 'k7'] [--json]
 */
import type { ConvGeometry, Handle } from '../engine/backend.js';
import { setBackend } from '../engine/index.js';
import type { WebGpuBackend } from '../engine/backends/webgpu/index.js';
import { installNodePlatform } from '../platform/node.js';
import { convFlops, convOutputSize, convShapes, type ConvShape } from './shapes.js';

function geometry(s: ConvShape): ConvGeometry {
  const [outH, outW] = convOutputSize(s);
  return {
    n: s.n, cIn: s.cIn, inH: s.h, inW: s.w, cOut: s.cOut, kH: s.k, kW: s.k,
    strideH: s.stride, strideW: s.stride, padH: s.padding, padW: s.padding, outH, outW,
  };
}

type Op = 'conv2d' | 'conv2dBackwardData' | 'conv2dBackwardFilter';
const ops: Op[] = ['conv2d', 'conv2dBackwardData', 'conv2dBackwardFilter'];

function parseArgs(argv: string[]): { reps: number; json: boolean; only: string } {
  let reps = 5;
  let json = false;
  let only = '';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') reps = Number(argv[++i]);
    else if (argv[i] === '--only') only = argv[++i] ?? '';
    else if (argv[i] === '--json') json = true;
    else throw new Error(`webgpu.bench: unknown argument ${argv[i]} (use --reps N, --only TEXT, --json)`);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new Error('webgpu.bench: --reps needs a whole number >= 1');
  return { reps, json, only };
}

function randomHandle(b: WebGpuBackend, size: number): Handle {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.random() - 0.5;
  const h = b.alloc(size);
  b.write(h, values);
  return h;
}

/** One timed run in ms: GPU timestamps if the adapter has them, else wall time to the readback. */
async function timeOnce(b: WebGpuBackend, run: () => void, output: Handle): Promise<number> {
  const gpuMs = await b.timeKernels(run);
  if (gpuMs !== null) return gpuMs;
  const start = performance.now();
  run();
  await b.read(output);
  return performance.now() - start;
}

async function main(): Promise<void> {
  const { reps, json, only } = parseArgs(process.argv.slice(2));
  installNodePlatform();
  const b = (await setBackend('webgpu')) as WebGpuBackend;
  const timing = b.runtime.canTime ? 'GPU timestamps (timestamp-query)' : 'wall time around a readback';
  if (!json) {
    console.log(`webgpu conv kernels on ${b.adapterName}`);
    console.log(`timing: ${timing}; min and median of ${reps} runs after one warm-up; Node ${process.version}`);
    console.log(`${'shape'.padEnd(26)}${'kernel'.padEnd(22)}${'min ms'.padStart(10)}${'median ms'.padStart(11)}${'GFLOP/s'.padStart(10)}`);
  }
  const results = [];
  for (const shape of convShapes.filter((s) => s.name.includes(only))) {
    const { name } = shape;
    const g = geometry(shape);
    const x = randomHandle(b, g.n * g.cIn * g.inH * g.inW);
    const w = randomHandle(b, g.cOut * g.cIn * g.kH * g.kW);
    const dy = randomHandle(b, g.n * g.cOut * g.outH * g.outW);
    for (const op of ops) {
      const output = b.alloc(op === 'conv2d' ? dy.size : op === 'conv2dBackwardData' ? x.size : w.size);
      const run = () => {
        if (op === 'conv2d') b.conv2d(x, w, null, output, g);
        else if (op === 'conv2dBackwardData') b.conv2dBackwardData(dy, w, output, g);
        else b.conv2dBackwardFilter(x, dy, output, g, false);
      };
      run(); // compiles the pipeline
      await b.read(output);
      const times: number[] = [];
      for (let r = 0; r < reps; r++) times.push(await timeOnce(b, run, output));
      times.sort((p, q) => p - q);
      const min = times[0]!;
      const median = times[Math.floor(times.length / 2)]!;
      const gflops = convFlops(shape) / (min * 1e6); // each kernel does the forward's multiply-adds
      results.push({ shape: name, kernel: op, minMs: min, medianMs: median, gflops });
      if (!json) console.log(`${name.padEnd(26)}${op.padEnd(22)}${min.toFixed(3).padStart(10)}${median.toFixed(3).padStart(11)}${gflops.toFixed(1).padStart(10)}`);
      b.free(output);
    }
    for (const h of [x, w, dy]) b.free(h);
  }
  if (json) console.log(JSON.stringify({ adapter: b.adapterName, timing, reps, node: process.version, results }, null, 2));
}

main().catch((e: unknown) => {
  console.error(`webgpu.bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
