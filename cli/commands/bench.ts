/**
 * fedmed bench kernels: the convolution and matmul kernels of one backend on
 * the standard shapes (bench/kernels.ts), as a table or JSON. fedmed bench
 * step: a GAN training step (bench/step.ts), with --profile a table per
 * kernel, with --against DIR this build against another, step by step.
 */
import { fileURLToPath } from 'node:url';
import { backendNames, setBackend, type BackendName } from '../../engine/index.js';
import { modelNames, type ModelName } from '../../models/index.js';
import { UsageError } from '../args.js';
import { commandGroup, type Command } from '../command.js';
import { backendFlag, threadsFlag } from '../backend-flags.js';

const kernelsCommand: Command = {
  name: 'kernels',
  summary: 'conv2d forward/backward and matmul kernels of one backend on the standard shapes',
  usage: [
    'usage: fedmed bench kernels [--backend js|wasm|webgpu] [--threads N] [--reps N] [--only TEXT] [--json]',
    '',
    'Times conv2d forward, backward-data and backward-filter on the standard shapes, and',
    'a 1024^3 matmul, through the backend interface (GPU timestamps on a webgpu adapter',
    'with timestamp-query, else wall time to a readback): min/median ms of --reps runs after',
    'warm-up, GFLOP/s from the min (forward 2*N*Cout*Hout*Wout*Cin*k*k, backward 2x).',
    'The peers (tfjs-wasm, PyTorch) are compared by npm run bench:peers.',
  ].join('\n'),
  flags: {
    backend: { type: 'string', help: 'backend to time', default: 'wasm', choices: backendNames },
    threads: threadsFlag,
    reps: { type: 'int', help: 'timed runs per kernel', default: 5, placeholder: 'N', min: 1 },
    only: { type: 'string', help: 'only the shapes whose name contains TEXT (e.g. k7)', placeholder: 'TEXT' },
    'no-matmul': { type: 'boolean', help: 'skip the 1024^3 matmul' },
    json: { type: 'boolean', help: 'print JSON' },
  },
  async run(flags) {
    const backend = flags.backend as BackendName;
    const threads = flags.threads as number | undefined;
    if (threads !== undefined && backend !== 'wasm') throw new UsageError('--threads applies to the wasm backend only');
    const reps = flags.reps as number;
    const only = (flags.only as string | undefined) ?? '';
    const { benchKernels, formatKernelTable } = await import('../../bench/kernels.js');
    const { convShapes } = await import('../../bench/shapes.js');
    if (!convShapes.some((s) => s.name.includes(only))) throw new UsageError(`no standard shape contains '${only}'`);
    const { loadLine, machineLine } = await import('../../bench/machine.js');
    const machine = machineLine();
    const load = loadLine();
    const result = await benchKernels({ backend, threads, reps, warmups: 2, only, matmul: !flags['no-matmul'] });
    if (flags.json) {
      console.log(JSON.stringify({ ...result, machine, load }, null, 2));
      return;
    }
    console.log(`kernels: ${result.backend} (${result.describe})`);
    console.log(`machine: ${machine}; ${load}`);
    console.log(`${reps} timed runs after 2 warm-ups, ${result.timing}; ms min/median; GFLOP/s from the min; backward counted as 2x forward\n`);
    for (const line of formatKernelTable(result)) console.log(line);
  },
};

const stepCommand: Command = {
  name: 'step',
  summary: 'a GAN training step (G and D with Adam), with --profile a table per kernel',
  usage: [
    'usage: fedmed bench step [--model M] [--size S] [--width W] [--batch B] [--backend B] [--dp] [--profile | --against DIR [--cpu]] [--json]',
    '',
    'Times --steps training steps after --warmup ones on random images. With --profile every',
    'kernel call is counted and timed (GPU timestamps on webgpu where the adapter has them,',
    'wall time on wasm and js): calls, ms and share of the step, GFLOP/s for convs and matmul,',
    'and the kernel calls per step in all (kernelCalls in the JSON).',
    'With --against DIR (another fedmed checkout with its dist/, or a dist folder), this build',
    'and that one run the same step in two child processes, alternating step by step, and',
    'the result is the median of the paired time ratios (this build over DIR\'s) with their',
    'spread: a shared machine\'s speed moves too much for one build\'s timing, then the other\'s.',
    'With --cpu the steps are timed by each child\'s CPU time (all its threads) instead of wall',
    'time: another process\'s load moves it far less, but it counts a spinning thread\'s waits.',
  ].join('\n'),
  flags: {
    model: { type: 'string', help: 'the GAN', default: 'cyclegan', choices: modelNames },
    size: { type: 'int', help: 'image side', default: 128 },
    width: { type: 'int', help: 'first-layer channels', default: 32 },
    batch: { type: 'int', help: 'batch size', default: 4 },
    backend: backendFlag,
    threads: threadsFlag,
    steps: { type: 'int', help: 'timed steps', default: 3 },
    warmup: { type: 'int', help: 'untimed steps first', default: 1 },
    dp: { type: 'boolean', help: "time DP-SGD's step (per-sample gradients, clip, noise)" },
    profile: { type: 'boolean', help: 'a table per kernel' },
    against: { type: 'string', help: 'another build to compare with, step by step (--steps pairs)', placeholder: 'DIR' },
    cpu: { type: 'boolean', help: "with --against: time each step by its process's CPU time, not wall time" },
    json: { type: 'boolean', help: 'print JSON' },
  },
  async run(flags) {
    for (const name of ['size', 'width', 'batch', 'steps'] as const) {
      if ((flags[name] as number) < 1) throw new UsageError(`--${name} must be at least 1, got ${flags[name]}`);
    }
    if ((flags.warmup as number) < 0) throw new UsageError(`--warmup must be at least 0, got ${flags.warmup}`);
    if (flags.cpu && flags.against === undefined) throw new UsageError('--cpu times the steps of --against DIR: give --against');
    if (flags.against !== undefined) {
      if (flags.profile) throw new UsageError('--profile and --against do not go together: profile one build at a time');
      return benchAgainst(flags.against as string, flags);
    }
    const backend = await setBackend(flags.backend as BackendName | 'auto', { threads: flags.threads as number | undefined });
    const { benchStep, kernelTable } = await import('../../bench/step.js');
    const { loadLine, machineLine } = await import('../../bench/machine.js');
    const options = {
      model: flags.model as ModelName,
      size: flags.size as number,
      width: flags.width as number,
      batch: flags.batch as number,
      steps: flags.steps as number,
      warmup: flags.warmup as number,
      dp: Boolean(flags.dp),
      profile: Boolean(flags.profile),
    };
    const result = await benchStep(options);
    if (flags.json) {
      console.log(JSON.stringify({ ...options, ...result, describe: backend.describe(), machine: machineLine(), load: loadLine() }, null, 2));
      return;
    }
    console.log(`${options.model} ${options.size}x${options.size} width ${options.width} batch ${options.batch}${options.dp ? ', DP-SGD' : ''} on ${backend.name} (${backend.describe()})`);
    console.log(`machine: ${machineLine()}; ${loadLine()}`);
    console.log(`${result.msPerStep.toFixed(1)} ms per step, ${result.imagesPerSecond.toFixed(1)} images/s (mean of ${options.steps} after ${options.warmup} warm-up)`);
    if (result.kernels) {
      const timing = result.deviceTimed ? 'GPU timestamps' : 'wall time around each kernel';
      console.log(`\nper step, by kernel (${timing}):`);
      console.log(kernelTable(result.kernels, result.msPerStep));
      const kernelMs = result.kernels.reduce((n, k) => n + k.ms, 0);
      console.log(`${result.kernelCalls!.toFixed(0)} kernel calls per step; kernels ${kernelMs.toFixed(1)} ms of ${result.msPerStep.toFixed(1)} ms; the rest is the engine's JavaScript (tape, scopes, dispatch)`);
    }
  },
};

/** `bench step --against DIR`: this build (B) and DIR's (A) in two step servers, alternating. */
async function benchAgainst(dir: string, flags: Record<string, unknown>): Promise<void> {
  const { buildRoot, thisBuildRoot } = await import('../../bench/builds.js');
  const { StepProcess } = await import('../../bench/step-process.js');
  const { compare, formatRatio } = await import('../../bench/paired.js');
  const { loadLine, machineLine } = await import('../../bench/machine.js');
  let other: string;
  try {
    other = buildRoot(dir);
  } catch (e) {
    throw new UsageError(`--against ${(e as Error).message}`);
  }
  const config = { model: flags.model, size: flags.size, width: flags.width, batch: flags.batch, dp: Boolean(flags.dp), backend: flags.backend, threads: flags.threads };
  const server = fileURLToPath(new URL('../../bench/step-server.js', import.meta.url));
  const clock = flags.cpu ? 'cpu' : 'wall';
  const start = (build: string, what: string) => StepProcess.start(process.execPath, [server], { ...config, build }, what, clock);
  const load = loadLine();
  const against = await start(other, `the build in ${dir}`);
  const self = await start(thisBuildRoot, 'this build').catch((e: unknown) => {
    against.close();
    throw e;
  });
  const sides = { against, self };
  try {
    const result = await compare(sides.against, sides.self, flags.steps as number, flags.warmup as number);
    if (flags.json) {
      console.log(JSON.stringify({ ...config, clock, against: other, this: thisBuildRoot, ...result, describe: { against: sides.against.describe, this: sides.self.describe }, machine: machineLine(), load }, null, 2));
      return;
    }
    console.log(`${config.model} ${config.size}x${config.size} width ${config.width} batch ${config.batch}${config.dp ? ', DP-SGD' : ''}: this build (${thisBuildRoot}) against ${other}`);
    console.log(`on ${sides.self.describe}; machine: ${machineLine()}; ${load}`);
    const ms = clock === 'cpu' ? 'CPU ms' : 'ms';
    console.log(`alternating step by step, ${result.ratio.n} pairs after ${flags.warmup} warm-up each; ${ms} are medians`);
    console.log(`this build ${result.bMs.median.toFixed(1)} ${ms}, ${dir} ${result.aMs.median.toFixed(1)} ${ms}`);
    console.log(`this build's time over ${dir}'s: ${formatRatio(result.ratio)}`);
  } finally {
    sides.against.close();
    sides.self.close();
  }
}

export const benchCommand = commandGroup('bench', 'time the kernels of a backend, or a whole training step', [kernelsCommand, stepCommand]);
