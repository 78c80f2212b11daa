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
