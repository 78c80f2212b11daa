/**
 * Checks of a subject's volumes that make it unfit to train or evaluate on,
 * each a line naming the file: what `fedmed data inspect` reports as
 * problems and what training refuses (data/fs/load.ts), from the same
 * planes: the slice band training reads. Browser-safe.
 */

/** Planes zRange[0] <= z < zRange[1] of a volume, x fastest then y then z. */
export interface BandPlanes {
  data: Float32Array;
  zRange: [number, number];
}

/**
 * Whether an image (a plane, a slice) has one value: min-max scaling leaves
 * nothing to learn from or compare (it becomes all zeros, and SSIM's
 * structure term is undefined). Inspection and training refuse such planes
 * in the slice band; both scorers, eval/evaluate.ts and
 * eval/volume-metrics.ts, leave such targets out.
 */
export function isConstant(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return false;
  return true;
}

/** "3 voxel(s) are NaN or infinite (the first at voxel (4, 0, 13), value NaN)", or null when every voxel is finite. */
export function nonFiniteWords(shape: readonly number[], planes: BandPlanes): string | null {
  let bad = 0, first = -1;
  for (let i = 0; i < planes.data.length; i++) {
    if (!Number.isFinite(planes.data[i]!)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (!bad) return null;
  const [nx, ny = 1] = shape;
  const at = `(${first % nx!}, ${Math.floor(first / nx!) % ny}, ${planes.zRange[0] + Math.floor(first / (nx! * ny))})`;
  return `${bad} voxel(s) are NaN or infinite (the first at voxel ${at}, value ${planes.data[first]})`;
}

/**
 * "planes 13, 14 of the slice band [13, 20) are constant (0, 0)", or null:
 * a constant plane min-max scales to a blank slice (isConstant).
 */
function constantWords(shape: readonly number[], planes: BandPlanes): string | null {
  const area = (shape[0] ?? 1) * (shape[1] ?? 1);
  const [z0, z1] = planes.zRange;
  const flat: number[] = [];
  const values: number[] = [];
  for (let z = z0; z < z1; z++) {
    const plane = planes.data.subarray((z - z0) * area, (z - z0 + 1) * area);
    if (isConstant(plane)) {
      flat.push(z);
      values.push(plane[0]!);
    }
  }
  if (!flat.length) return null;
  const band = `the slice band [${z0}, ${z1})`;
  if (flat.length === z1 - z0 && new Set(values).size === 1) return `every plane of ${band} is constant (every voxel ${values[0]}): a blank volume or band`;
  const shown = flat.length > 5 ? `${flat.slice(0, 5).join(', ')}, ... (${flat.length} in all)` : flat.join(', ');
  return `plane${flat.length === 1 ? '' : 's'} ${shown} of ${band} ${flat.length === 1 ? 'is' : 'are'} constant: blank slices`;
}

/** Problems of one volume read from `path`: not 3-D; non-finite voxels or constant planes in `band` (null where only the header was read). */
export function volumeProblems(path: string, shape: readonly number[], band: BandPlanes | null): string[] {
  const problems: string[] = [];
  const extra = shape.slice(3).filter((n) => n > 1);
  if (shape.length < 3 || extra.length) problems.push(`${path}: ${shape.length}-D volume of shape ${shape.join('x')}; a 3-D volume (one contrast, one time point) is expected`);
  const found = band ? [nonFiniteWords(shape, band), constantWords(shape, band)] : [];
  for (const words of found) if (words) problems.push(`${path}: ${words}`);
  return problems;
}

/** One volume of a subject, named by its contrast for messages. */
export interface SubjectVolume {
  contrast: string;
  path: string;
  shape: readonly number[];
  /** Voxel-to-world, 4x4 row-major (NiftiVolume's affine). */
  affine: readonly (readonly number[])[];
  /** The planes of the slice band, or null where only the header was read. */
  band: BandPlanes | null;
}

/** A subject whose contrasts differ in shape: slice z would not be the same anatomy in each. */
export function shapeMismatch(subject: string, volumes: readonly SubjectVolume[]): string[] {
  const shapes = new Set(volumes.map((v) => v.shape.join('x')));
  if (shapes.size < 2) return [];
  return [`${subject}: contrasts differ in shape (${volumes.map((v) => `${v.contrast} ${v.shape.join('x')}`).join(', ')}); slice z is not the same anatomy`];
}

/** How far affines may differ (mm, and unitless for the rotation part) and still be one grid: float32 storage of the same matrix differs by far less. */
export const affineTolerance = 1e-3;

/**
 * A subject whose contrasts have one shape but different affines: voxel
 * (x, y, z) is a different place in each (flipped, shifted or scaled), so
 * pairing them voxel by voxel would pair different anatomy. Never
 * reoriented silently: the data must be resampled to one grid first.
 */
export function gridMismatch(subject: string, volumes: readonly SubjectVolume[]): string[] {
  const [first, ...others] = volumes;
  if (!first) return [];
  const apart = others.map((v) => ({ v, by: Math.max(...v.affine.flatMap((row, i) => row.map((x, j) => Math.abs(x - first.affine[i]![j]!)))) }));
  const far = apart.filter((a) => a.by > affineTolerance);
  if (!far.length) return [];
  const words = far.map((a) => `${a.v.contrast}'s differs from ${first.contrast}'s by up to ${+a.by.toPrecision(4)}`).join(', ');
  return [`${subject}: contrasts are not in the same voxel grid (affines differ: ${words}); slice z is not the same anatomy, resample them to one grid first`];
}

/** Every problem of one subject's volumes: each volume's, then their shapes and grids against each other. */
export function subjectProblems(subject: string, volumes: readonly SubjectVolume[]): string[] {
  const shapes = shapeMismatch(subject, volumes);
  return [...volumes.flatMap((v) => volumeProblems(v.path, v.shape, v.band)), ...(shapes.length ? shapes : gridMismatch(subject, volumes))];
}
