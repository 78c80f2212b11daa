/**
 * Checks of a volume's voxels and shape that make it unfit to train or
 * evaluate on, each a line naming the file: what `fedmed data inspect`
 * reports as problems. Browser-safe.
 */

/** Problems of one volume read from `path`: not 3-D, non-finite voxels. */
export function volumeProblems(path: string, shape: readonly number[], data: ArrayLike<number> | null): string[] {
  const problems: string[] = [];
  const extra = shape.slice(3).filter((n) => n > 1);
  if (shape.length < 3 || extra.length) problems.push(`${path}: ${shape.length}-D volume of shape ${shape.join('x')}; a 3-D volume (one contrast, one time point) is expected`);
  if (data) {
    let bad = 0, first = -1;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad) problems.push(`${path}: ${bad} voxel(s) are NaN or infinite (the first at index ${first}, value ${data[first]})`);
  }
  return problems;
}

/** One volume of a subject, named by its contrast for messages. */
export interface SubjectVolume {
  contrast: string;
  path: string;
  shape: readonly number[];
  /** Voxels, or null where only the header was read. */
  data: ArrayLike<number> | null;
}

/** A subject whose contrasts differ in shape: slice z would not be the same anatomy in each. */
export function shapeMismatch(subject: string, volumes: readonly SubjectVolume[]): string[] {
  const shapes = new Set(volumes.map((v) => v.shape.join('x')));
  if (shapes.size < 2) return [];
  return [`${subject}: contrasts differ in shape (${volumes.map((v) => `${v.contrast} ${v.shape.join('x')}`).join(', ')}); slice z is not the same anatomy`];
}

/** Every problem of one subject's volumes: each volume's, then their shapes against each other. */
export function subjectProblems(subject: string, volumes: readonly SubjectVolume[]): string[] {
  return [...volumes.flatMap((v) => volumeProblems(v.path, v.shape, v.data)), ...shapeMismatch(subject, volumes)];
}
