/**
 * fedmed bench kernels: the convolution and matmul kernels of one backend on
 * the standard shapes (bench/kernels.ts), as a table or JSON.
 */
import { backendNames, type BackendName } from '../../engine/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';

const kernelsCommand: Command = {
  name: 'kernels',
  summary: 'conv2d forward/backward and matmul kernels of one backend on the standard shapes',
  usage: [
    'usage: fedmed bench kernels [--backend js|wasm|webgpu] [--threads N] [--reps N] [--only TEXT] [--json]',
    '',
    'Times conv2d forward, backward-data and backward-filter on the standard shapes, and',
    'a 1024^3 matmul, through the backend interface: min/median ms of --reps runs after',
    'warm-up, GFLOP/s from the min (forward 2*N*Cout*Hout*Wout*Cin*k*k, backward 2x).',
    'The peers (tfjs-wasm, PyTorch) are compared by npm run bench:peers.',
  ].join('\n'),
  flags: {
    backend: { type: 'string', help: 'backend to time', default: 'wasm', choices: backendNames },
    threads: { type: 'int', help: 'wasm: threads, the calling one included (default: all cores)', placeholder: 'N' },
    reps: { type: 'int', help: 'timed runs per kernel', default: 5, placeholder: 'N' },
    only: { type: 'string', help: 'only the shapes whose name contains TEXT (e.g. k7)', placeholder: 'TEXT' },
    'no-matmul': { type: 'boolean', help: 'skip the 1024^3 matmul' },
    json: { type: 'boolean', help: 'print JSON' },
  },
  async run(flags) {
    const backend = flags.backend as BackendName;
    const threads = flags.threads as number | undefined;
    if (threads !== undefined && (backend !== 'wasm' || threads < 1)) {
      throw new UsageError(backend === 'wasm' ? `--threads needs a whole number >= 1, got ${threads}` : '--threads applies to the wasm backend only');
    }
    const reps = flags.reps as number;
    if (reps < 1) throw new UsageError(`--reps needs a whole number >= 1, got ${reps}`);
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
    console.log(`${reps} timed runs after 2 warm-ups; ms min/median; GFLOP/s from the min; backward counted as 2x forward\n`);
    for (const line of formatKernelTable(result)) console.log(line);
  },
};

export const benchCommand: Command = {
  name: 'bench',
  summary: 'time the kernels of a backend on the standard shapes',
  usage: [
    'usage: fedmed bench kernels [flags]     fedmed bench kernels --help',
    '',
    'commands:',
    `  kernels  ${kernelsCommand.summary}`,
  ].join('\n'),
  flags: {},
  subcommands: [kernelsCommand],
  async run() {
    throw new UsageError('fedmed bench needs a command: kernels (see fedmed bench --help)');
  },
};
