/**
 * The CycleGAN training step (the reference U-Net at 128x128, batch 4, width
 * 32 and 64) on a fedmed backend against Debian's PyTorch CPU, and DP-SGD's
 * step against the plain step on the same backend (the main job's model and
 * the 128x128 one). Each comparison alternates its two sides step by step
 * (bench/paired.ts; PyTorch in a long-lived child process, bench/torch_step.py)
 * and reports the median of the paired ratios with their spread, because
 * this machine's speed moves too much within minutes for one side's timing
 * and then the other's. Prints a table, or JSON.
 *
 *   npm run bench:step -- [--backend wasm] [--pairs N] [--no-torch] [--json]
 */
import { fileURLToPath } from 'node:url';
import { platform, setBackend, type BackendName } from '../engine/index.js';
import { installNodePlatform } from '../platform/node.js';
import { benchFlags } from './args.js';
import { loadLine, machineLine } from './machine.js';
import { compare, formatRatio, type Comparison } from './paired.js';
import { prepareStep, thisBuild, type StepConfig } from './step.js';
import { StepProcess } from './step-process.js';

type Config = Omit<StepConfig, 'model' | 'dp'>;

const torchConfigs: Config[] = [
  { size: 128, width: 32, batch: 4 },
  { size: 128, width: 64, batch: 4 },
];
const dpConfigs: Config[] = [
  { size: 64, width: 8, batch: 4 },
  { size: 128, width: 32, batch: 4 },
];

function settingsFrom(argv: readonly string[]): { backend: BackendName; pairs: number; torch: boolean; json: boolean } {
  const flags = benchFlags('bench:step', 'npm run bench:step -- [flags]', {
    backend: { type: 'string', choices: ['wasm', 'webgpu', 'js'], default: 'wasm', help: "fedmed's backend" },
    pairs: { type: 'int', min: 1, default: 7, help: 'alternating step pairs per comparison' },
    'no-torch': { type: 'boolean', help: 'leave PyTorch out (only DP-SGD against the plain step)' },
    json: { type: 'boolean', help: 'print JSON instead of a table' },
  }, argv);
  return { backend: flags.backend as BackendName, pairs: flags.pairs as number, torch: flags['no-torch'] !== true, json: flags.json === true };
}

/** fedmed (A) against PyTorch (B) on one config: B/A is fedmed's speed over PyTorch's. Null when PyTorch does not start. */
async function againstTorch(c: Config, pairs: number, threads: number): Promise<{ torch: string; comparison: Comparison } | null> {
  const script = fileURLToPath(new URL('../../bench/torch_step.py', import.meta.url));
  let torch: StepProcess;
  try {
    torch = await StepProcess.start('/usr/bin/python3', [script], { ...c, threads }, 'PyTorch');
  } catch (e) {
    console.error(`PyTorch not measured: ${(e as Error).message}`);
    return null;
  }
  const fedmed = prepareStep(thisBuild, { model: 'cyclegan', ...c, dp: false });
  try {
    return { torch: torch.describe, comparison: await compare(fedmed, torch, pairs, 1) };
  } finally {
    fedmed.dispose();
    torch.close();
  }
}

/** The plain step (A) against the DP-SGD step (B) of the same model on this backend. */
async function dpOverPlain(c: Config, pairs: number): Promise<Comparison> {
  const plain = prepareStep(thisBuild, { model: 'cyclegan', ...c, dp: false });
  const dp = prepareStep(thisBuild, { model: 'cyclegan', ...c, dp: true });
  try {
    return await compare(plain, dp, pairs, 1);
  } finally {
    plain.dispose();
    dp.dispose();
  }
}

/** A table cell: milliseconds to a tenth, a count or a dash as given. */
const cell = (v: number | string, width: number) => (typeof v === 'number' ? v.toFixed(1) : v).padStart(width);

async function main(): Promise<void> {
  const args = settingsFrom(process.argv.slice(2));
  installNodePlatform();
  const backend = await setBackend(args.backend);
  const threads = platform().cores();
  const loadBefore = loadLine();
  let torchLine: string | null = null;
  const steps = [];
  for (const c of torchConfigs) {
    const run = args.torch ? await againstTorch(c, args.pairs, threads) : null;
    torchLine ??= run?.torch ?? null;
    steps.push({ ...c, comparison: run?.comparison ?? null });
  }
  const dp = [];
  for (const c of dpConfigs) dp.push({ ...c, comparison: await dpOverPlain(c, args.pairs) });
  const result = { machine: machineLine(), load: { before: loadBefore, after: loadLine() }, backend: `${backend.name}: ${backend.describe()}`, torch: torchLine, steps, dp };
  if (args.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`${result.machine}\n${result.load.before} at the start, ${result.load.after} at the end\nfedmed ${result.backend}${torchLine ? `\n${torchLine}` : ''}\n`);
  console.log(`CycleGAN training step (U-Net, G and D with Adam): fedmed and PyTorch alternating step by step, ${args.pairs} pairs;`);
  console.log('ms are medians; torch/fedmed is the median of the paired ratios (fedmed\'s speed over PyTorch\'s)');
  console.log('size  width  batch   fedmed ms   torch ms   torch/fedmed');
  for (const s of steps) {
    const r = s.comparison;
    console.log(`${cell(String(s.size), 4)}  ${cell(String(s.width), 5)}  ${cell(String(s.batch), 5)}  ${cell(r?.aMs.median ?? '-', 10)}  ${cell(r?.bMs.median ?? '-', 9)}   ${r ? formatRatio(r.ratio) : '-'}`);
  }
  console.log(`\nDP-SGD step over the plain step (same model, batch 4), alternating step by step, ${args.pairs} pairs`);
  console.log('size  width   plain ms    DP ms   DP/plain');
  for (const d of dp) {
    const r = d.comparison;
    console.log(`${cell(String(d.size), 4)}  ${cell(String(d.width), 5)}  ${cell(r.aMs.median, 9)}  ${cell(r.bMs.median, 7)}   ${formatRatio(r.ratio)}`);
  }
}

await main();
