/**
 * A synthesized volume scored against the real one, slice by slice along
 * the third axis: each plane of each volume min-max scaled to [0, 1] on its
 * own (as training and evaluation slices are), then MAE, PSNR (peak 1) and
 * one SSIM (eval/metrics.ts). Browser-safe.
 */
import { DataError, finitePlane, isConstant, minMaxNormalize, volumeDims, type NiftiVolume } from '../data/index.js';
import { mae, psnr, ssim, ssimGlobal } from './metrics.js';

/** skimage's 7x7 uniform window, its Gaussian sigma 1.5 window, or the reference code's one global window. */
export const ssimKinds = ['uniform', 'gaussian', 'global'] as const;
export type SsimKind = (typeof ssimKinds)[number];

export interface SliceScore {
  /** Plane index along the third axis. */
  z: number;
  mae: number;
  /** dB; +Infinity for an exact slice. */
  psnr: number;
  ssim: number;
}

export interface VolumeScores {
  ssim: SsimKind;
  /** The planes compared, z0 <= z < z1. */
  planes: [number, number];
  slices: SliceScore[];
  /** Planes whose target is constant (empty): left out, as evaluate leaves out such slices (data/checks.ts isConstant). */
  skipped: number[];
  /** Means over `slices` (PSNR in dB, +Infinity if any slice is exact). */
  mean: { mae: number; psnr: number; ssim: number };
}

export interface VolumeMetricsOptions {
  ssim?: SsimKind;
  planes?: [number, number];
}

export function volumeMetrics(predicted: NiftiVolume, target: NiftiVolume, options: VolumeMetricsOptions = {}): VolumeScores {
  const dims = volumeDims(predicted);
  const targetDims = volumeDims(target);
  if (dims.some((n, i) => n !== targetDims[i])) {
    throw new DataError(predicted.name, `is ${dims.join('x')} but ${target.name} is ${targetDims.join('x')}; the volumes must have the same dims`);
  }
  const [nx, ny, nz] = dims;
  const kind = options.ssim ?? 'uniform';
  const [z0, z1] = options.planes ?? [0, nz];
  const slices: SliceScore[] = [];
  const skipped: number[] = [];
  for (let z = z0; z < z1; z++) {
    const t = finitePlane(target, z);
    const p = finitePlane(predicted, z);
    if (isConstant(t)) {
      skipped.push(z);
      continue;
    }
    // Exact min-max (epsilon 0), on copies: the planes are views of the volumes.
    const [ts, ps] = [minMaxNormalize(t.slice(), 0), minMaxNormalize(p.slice(), 0)];
    slices.push({ z, mae: mae(ts, ps), psnr: psnr(ts, ps), ssim: kind === 'global' ? ssimGlobal(ts, ps) : windowedSsim(ts, ps, ny, nx, kind, predicted.name) });
  }
  if (slices.length === 0) throw new DataError(target.name, `every plane in [${z0}, ${z1}) is constant: nothing to compare`);
  const mean = (key: 'mae' | 'psnr' | 'ssim') => slices.reduce((s, r) => s + r[key], 0) / slices.length;
  return { ssim: kind, planes: [z0, z1], slices, skipped, mean: { mae: mean('mae'), psnr: mean('psnr'), ssim: mean('ssim') } };
}

function windowedSsim(a: Float32Array, b: Float32Array, height: number, width: number, window: 'uniform' | 'gaussian', where: string): number {
  try {
    return ssim(a, b, { height, width }, { window });
  } catch (e) {
    throw new DataError(where, `${(e as Error).message}; try --ssim global`);
  }
}
