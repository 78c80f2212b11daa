/**
 * fedmed data: make the built-in phantom as a dataset folder, or inspect a
 * dataset folder (IXI, BraTS2021 or a phantom) before training on it.
 */
import { UsageError } from '../args.js';
import { commandGroup, type Command } from '../command.js';
import { exitCodes } from '../exit-codes.js';
import type { InspectReport } from '../../data/fs/index.js';

const phantomCommand: Command = {
  name: 'phantom',
  summary: 'write the multi-contrast brain phantom as NIfTI files in the IXI or BraTS layout',
  usage: [
    'usage: fedmed data phantom --out DIR [--subjects N] [--size S] [--layout ixi|brats] [--sites K] [--seed N]',
    '',
    'Simulated T1/T2/PD (IXI) or T1/T1ce/T2/FLAIR (BraTS) volumes from MR signal equations,',
    'one subject per anatomy, subjects spread over scanners with different settings.',
  ].join('\n'),
  flags: {
    out: { type: 'string', help: 'folder to write: new or empty, or an earlier phantom with --force', placeholder: 'DIR' },
    subjects: { type: 'int', help: 'number of subjects', default: 40 },
    size: { type: 'int', help: 'voxels along each side of the volume (240 mm field of view)', default: 128 },
    layout: { type: 'string', help: 'folder layout and contrasts', default: 'ixi', choices: ['ixi', 'brats'] },
    sites: { type: 'int', help: 'simulated scanners (Guys, HH, IOP, then Site4...)', default: 3 },
    seed: { type: 'int', help: 'random seed', default: 3 },
    lesions: { type: 'boolean', help: 'white-matter lesions (default: on for brats, off for ixi)' },
    force: { type: 'boolean', help: "replace the phantom in --out: first removes the files its fedmed-phantom.json names; a folder holding other files is refused, never emptied" },
  },
  async run(flags) {
    const out = flags.out as string | undefined;
    if (!out) throw new UsageError('fedmed data phantom needs --out DIR');
    for (const name of ['subjects', 'size', 'sites'] as const) {
      if ((flags[name] as number) < 1) throw new UsageError(`--${name} must be at least 1, got ${flags[name]}`);
    }
    if ((flags.size as number) < 8) throw new UsageError(`--size must be at least 8, got ${flags.size}`);
    const { writePhantom } = await import('../../data/fs/phantom.js');
    const layout = flags.layout as 'ixi' | 'brats';
    const progress = process.stderr.isTTY ? (done: number, total: number, id: string) => process.stderr.write(`\r  subject ${done}/${total} ${id}   `) : undefined;
    const w = await writePhantom(out, {
      subjects: flags.subjects as number,
      size: flags.size as number,
      layout,
      sites: flags.sites as number,
      seed: flags.seed as number,
      lesions: flags.lesions as boolean | undefined,
      force: (flags.force as boolean | undefined) ?? false,
      onSubject: progress,
    });
    if (progress) process.stderr.write('\r' + ' '.repeat(40) + '\r');
    const voxel = String(+(240 / w.options.size).toFixed(3));
    console.log(`phantom: ${w.subjects} subjects, ${w.options.size}^3 voxels of ${voxel} mm, ${layout === 'ixi' ? 'IXI' : 'BraTS2021'} layout, seed ${w.options.seed}${w.options.lesions ? ', with lesions' : ''}`);
    console.log(`sites:   ${w.sites.map((s) => `${s.name} (${s.subjects})`).join(', ')}`);
    console.log(`wrote ${w.files.length} volumes (int16, ${(w.bytes / 1e6).toFixed(1)} MB) and fedmed-phantom.json to ${w.root} in ${w.seconds.toFixed(1)} s:`);
    const shown = w.files.length <= 6 ? w.files : [...w.files.slice(0, 4), '...', w.files[w.files.length - 1]!];
    for (const f of shown) console.log(`  ${f}`);
    console.log(`training slices by default: z in [${w.sliceRange[0]}, ${w.sliceRange[1]})`);
    console.log(`look at it: fedmed data inspect ${w.root}`);
  },
};

const inspectCommand: Command = {
  name: 'inspect',
  summary: 'what a dataset folder holds: subjects, contrasts, sites, shapes, intensities, problems',
  usage: 'usage: fedmed data inspect DIR [--layout auto|ixi|brats] [--quick] [--subjects] [--json]',
  flags: {
    layout: { type: 'string', help: 'folder layout', default: 'auto', choices: ['auto', 'ixi', 'brats'] },
    quick: { type: 'boolean', help: 'read headers only (no intensity ranges, no check of the voxel data)' },
    subjects: { type: 'boolean', help: 'list every subject' },
    json: { type: 'boolean', help: 'print the whole report as JSON' },
  },
  takesPositionals: true,
  async run(flags, positionals) {
    if (positionals.length !== 1) throw new UsageError(`fedmed data inspect takes one folder, got ${positionals.length}: fedmed data inspect DIR`);
    const { inspectDataset } = await import('../../data/fs/inspect.js');
    const { ignoredWords } = await import('../../data/layouts.js');
    const progress = process.stderr.isTTY && !flags.json ? (done: number, total: number) => process.stderr.write(`\r  reading ${done}/${total}   `) : undefined;
    const report = await inspectDataset(positionals[0]!, {
      layout: flags.layout as 'auto',
      headersOnly: (flags.quick as boolean | undefined) ?? false,
      onVolume: progress,
    });
    if (progress) process.stderr.write('\r' + ' '.repeat(30) + '\r');
    // An empty folder has no report to print: a slice range and "problems: none" would read as a usable dataset.
    if (report.subjects.length === 0) throw new Error(`${positionals[0]}: no subjects found (no IXI or BraTS2021 volumes)${ignoredWords(report.ignored)}`);
    if (flags.json) console.log(JSON.stringify(report, null, 2));
    else console.log(formatReport(report, (flags.subjects as boolean | undefined) ?? false));
    if (report.problems.length) {
      if (!flags.json) console.log(`fedmed: ${report.problems.length} problem(s) found; train and eval refuse each subject named (for a file's problem, when they read that contrast) unless --skip-bad-subjects leaves it out`);
      process.exitCode = exitCodes.problems;
    }
  },
  exitCodes: [[exitCodes.problems, 'the folder was read and has problems (listed; the last line says so)']],
};

export const dataCommand = commandGroup('data', 'make the built-in phantom dataset, or inspect a dataset folder', [phantomCommand, inspectCommand]);

/** Each distinct value with its count, "a (3), b (2)"; a value all share is shown alone unless `counts`. */
function tally(values: string[], counts = false): string {
  const seen = new Map<string, number>();
  for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
  if (seen.size === 1 && !counts) return values[0]!;
  return [...seen].map(([v, n]) => `${v} (${n})`).join(', ') || 'none';
}

function listed(lines: string[], limit = 10): string[] {
  const shown = lines.slice(0, limit).map((l) => `  ${l}`);
  if (lines.length > limit) shown.push(`  ... and ${lines.length - limit} more`);
  return shown;
}

function formatReport(r: InspectReport, everySubject: boolean): string {
  const out: string[] = [];
  const kind = r.phantom ? `fedmed phantom (seed ${r.phantom.options.seed}, ${r.phantom.options.size}^3)` : r.layout === 'ixi' ? 'IXI layout' : 'BraTS2021 layout';
  out.push(`${r.root}: ${kind}, ${r.subjects.length} subjects`);
  const volumes = r.subjects.flatMap((s) => s.volumes);
  out.push(`contrasts: ${tally(volumes.map((v) => v.contrast), true)}`);
  const sites = r.subjects.map((s) => s.site ?? '(none)');
  if (sites.some((s) => s !== '(none)')) out.push(`sites:     ${tally(sites, true)}`);
  out.push(`slice range for training: z in [${r.sliceRange[0]}, ${r.sliceRange[1]})`);
  const contrasts = [...new Set(volumes.map((v) => v.contrast))];
  for (const c of contrasts) {
    const these = volumes.filter((v) => v.contrast === c);
    const ranges = these.filter((v) => v.min !== undefined);
    const intensity = ranges.length
      ? `  intensities ${Math.min(...ranges.map((v) => v.min!))} to ${Math.max(...ranges.map((v) => v.max!))} (median max ${median(ranges.map((v) => v.max!))})`
      : '';
    out.push(`  ${c.padEnd(6)}shape ${tally(these.map((v) => v.shape.join('x')))}  voxel ${tally(these.map((v) => v.spacing.map((x) => +x.toFixed(3)).join('x')))} mm  ${tally(these.map((v) => v.datatype))}${intensity}`);
  }
  const missing = r.subjects.filter((s) => s.missing.length > 0).map((s) => `${s.id}: no ${s.missing.join(', ')}`);
  out.push(missing.length ? `missing (${missing.length} subjects):` : 'missing: nothing');
  out.push(...listed(missing));
  if (r.ignored.length) out.push(`ignored (${r.ignored.length} files that are no contrast of this layout):`, ...listed(r.ignored, 5));
  out.push(r.problems.length ? `problems (${r.problems.length}):` : 'problems: none');
  out.push(...listed(r.problems, 20));
  if (r.notes.length) out.push(`notes (${r.notes.length}):`, ...listed(r.notes, 5));
  if (everySubject) {
    out.push('subjects:');
    for (const s of r.subjects) {
      const vols = s.volumes.map((v) => `${v.contrast} ${v.shape.join('x')}${v.min !== undefined ? ` [${v.min}, ${v.max}]` : ''}`).join('  ');
      out.push(`  ${s.id.padEnd(16)}${(s.site ?? '').padEnd(7)}${vols}`);
    }
  }
  return out.join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
