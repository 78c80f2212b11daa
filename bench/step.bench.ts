/**
 * The CycleGAN training step (the reference U-Net at 128x128, batch 4, width
 * 32 and 64) on a fedmed backend and, in the same run, in Debian's PyTorch
 * CPU when it imports; then DP-SGD's step over the plain step on the same
 * backend (the main job's model and the 128x128 one). Prints a table, or JSON.
 *
 *   npm run bench:step -- [--backend wasm] [--reps N] [--no-torch] [--json]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { platform, setBackend, type BackendName } from '../engine/index.js';
import { installNodePlatform } from '../platform/node.js';
import { loadLine, machineLine } from './machine.js';
import { benchStep } from './step.js';

interface Config {
  size: number;
  width: number;
  batch: number;
}

const torchConfigs: Config[] = [
  { size: 128, width: 32, batch: 4 },
  { size: 128, width: 64, batch: 4 },
];
const dpConfigs: Config[] = [
  { size: 64, width: 8, batch: 4 },
  { size: 128, width: 32, batch: 4 },
];

function parseArgs(argv: readonly string[]): { backend: BackendName; reps: number; torch: boolean; json: boolean } {
  const s = { backend: 'wasm' as BackendName, reps: 3, torch: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--backend') s.backend = argv[++i] as BackendName;
    else if (arg === '--reps') s.reps = Number(argv[++i]);
    else if (arg === '--no-torch') s.torch = false;
    else if (arg === '--json') s.json = true;
    else {
      console.error(`bench:step: unknown argument '${arg}'\nusage: npm run bench:step -- [--backend wasm|webgpu|js] [--reps N] [--no-torch] [--json]`);
      process.exit(2);
    }
  }
  if (!(Number.isInteger(s.reps) && s.reps >= 1)) {
    console.error('bench:step: --reps needs a whole number >= 1');
    process.exit(2);
  }
  return s;
}

function torchStepMs(configs: Config[], reps: number, threads: number): { version: string; ms: number[] } | null {
  const script = fileURLToPath(new URL('../../bench/torch_step.py', import.meta.url));
  const run = spawnSync('/usr/bin/python3', [script], { input: JSON.stringify({ threads, reps, warmups: 1, configs }), encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`PyTorch not measured: ${(run.stderr || run.error?.message || '').trim().split('\n').at(-1)}`);
    return null;
  }
  const out = JSON.parse(run.stdout) as { torch: string; rows: { ms: number }[] };
  return { version: out.torch, ms: out.rows.map((r) => r.ms) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  installNodePlatform();
  const backend = await setBackend(args.backend);
  const threads = platform().cores();
  const step = (c: Config, dp: boolean) =>
    benchStep({ model: 'cyclegan', ...c, steps: args.reps, warmup: 1, dp, profile: false }).then((r) => r.msPerStep);
  const fedmedMs: number[] = [];
  for (const c of torchConfigs) fedmedMs.push(await step(c, false));
  const torch = args.torch ? torchStepMs(torchConfigs, args.reps, threads) : null;
  const dpRows: { config: Config; plainMs: number; dpMs: number }[] = [];
  for (const c of dpConfigs) dpRows.push({ config: c, plainMs: await step(c, false), dpMs: await step(c, true) });
  const result = {
    machine: machineLine(),
    load: loadLine(),
    backend: `${backend.name}: ${backend.describe()}`,
    torch: torch?.version ?? null,
    steps: torchConfigs.map((c, i) => ({ ...c, fedmedMs: fedmedMs[i]!, torchMs: torch?.ms[i] ?? null })),
    dp: dpRows.map((r) => ({ ...r.config, plainMs: r.plainMs, dpMs: r.dpMs, ratio: r.dpMs / r.plainMs })),
  };
  if (args.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`${result.machine}\n${result.load}\nfedmed ${result.backend}${torch ? `\nPyTorch ${torch.version} CPU, ${threads} threads` : ''}\n`);
  console.log('CycleGAN training step (U-Net, G and D with Adam), min ms of', args.reps);
  console.log('size  width  batch   fedmed ms   torch ms   torch/fedmed');
  for (const s of result.steps) {
    const ratio = s.torchMs ? (s.torchMs / s.fedmedMs).toFixed(2) : '-';
    console.log(`${String(s.size).padStart(4)}  ${String(s.width).padStart(5)}  ${String(s.batch).padStart(5)}  ${s.fedmedMs.toFixed(1).padStart(10)}  ${(s.torchMs?.toFixed(1) ?? '-').padStart(9)}  ${ratio.padStart(13)}`);
  }
  console.log('\nDP-SGD step over the plain step (same model, batch 4)');
  console.log('size  width   plain ms    DP ms   DP/plain');
  for (const d of result.dp) {
    console.log(`${String(d.size).padStart(4)}  ${String(d.width).padStart(5)}  ${d.plainMs.toFixed(1).padStart(9)}  ${d.dpMs.toFixed(1).padStart(7)}  ${d.ratio.toFixed(2).padStart(9)}`);
  }
}

await main();
