/**
 * fedmed metrics: a synthesized NIfTI volume scored against the real one,
 * slice by slice along the third axis (each slice min-max scaled to [0, 1]
 * first), with the means over slices.
 */
import { formatScore } from '../../eval/records.js';
import { parsePlanes, requireString } from '../args.js';
import type { Command } from '../command.js';
import { textTable } from '../text-table.js';
import { ssimKinds, type SliceScore, type SsimKind, type VolumeScores } from '../../eval/volume-metrics.js';

export const metricsCommand: Command = {
  name: 'metrics',
  summary: 'MAE, PSNR and SSIM of a synthesized NIfTI volume against the real one, per slice',
  usage: [
    'usage: fedmed metrics --pred PRED.nii.gz --target REAL.nii.gz [--ssim uniform|gaussian|global] [--planes Z0:Z1] [--json]',
    '',
    'Both volumes must have the same dims. Each plane along the third axis of each volume is',
    'min-max scaled to [0, 1] on its own, as training and evaluation slices are; then MAE, PSNR',
    "(peak 1) and SSIM (skimage's 7x7 uniform window, its Gaussian sigma 1.5 window, or the",
    "reference code's one global window) per slice, and their means. Planes where the target",
    'is constant (empty) have nothing to compare and are left out, and counted.',
  ].join('\n'),
  flags: {
    pred: { type: 'string', help: 'the synthesized volume', placeholder: 'FILE' },
    target: { type: 'string', help: 'the real volume', placeholder: 'FILE' },
    ssim: { type: 'string', help: 'which SSIM', default: 'uniform', choices: ssimKinds },
    planes: { type: 'string', help: 'score only planes z0 <= z < z1', placeholder: 'Z0:Z1' },
    json: { type: 'boolean', help: 'print the results as JSON' },
  },
  async run(flags) {
    const [predPath, targetPath] = [requireString(flags, 'pred', 'metrics'), requireString(flags, 'target', 'metrics')];
    const { readNiftiFile } = await import('../../data/fs/index.js');
    const { volumeMetrics } = await import('../../eval/volume-metrics.js');
    const { volumeDims } = await import('../../data/index.js');
    const [predicted, target] = await Promise.all([readNiftiFile(predPath), readNiftiFile(targetPath)]);
    const planes = parsePlanes(flags.planes as string | undefined, volumeDims(predicted)[2]);
    const scores = volumeMetrics(predicted, target, { ssim: flags.ssim as SsimKind, planes });
    if (flags.json) {
      // JSON has no infinity: a PSNR of +Infinity (an exact slice) prints as null.
      console.log(JSON.stringify({ pred: predPath, target: targetPath, dims: volumeDims(predicted), ...scores }, null, 2));
      return;
    }
    console.log(report(scores));
  },
};

function report(s: VolumeScores): string {
  const header = ['z', 'MAE', 'PSNR dB', `SSIM (${s.ssim})`];
  const row = (label: string, m: Omit<SliceScore, 'z'>) => [label, formatScore(m.mae, 4), formatScore(m.psnr, 2), formatScore(m.ssim, 4)];
  const table = textTable(header, [...s.slices.map((m) => row(String(m.z), m)), row('mean', s.mean)]);
  const skipped = s.skipped.length ? [`left out, their target constant: ${plural(s.skipped.length, 'plane')} (${ranges(s.skipped)})`] : [];
  return [...table, `${plural(s.slices.length, 'slice')} of planes [${s.planes[0]}, ${s.planes[1]})`, ...skipped].join('\n');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** [0, 1, 2, 7, 9, 10] as "0-2, 7, 9-10". */
function ranges(zs: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < zs.length; ) {
    let j = i;
    while (j + 1 < zs.length && zs[j + 1] === zs[j]! + 1) j++;
    out.push(i === j ? String(zs[i]) : `${zs[i]}-${zs[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}
