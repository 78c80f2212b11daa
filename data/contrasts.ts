/**
 * MR contrasts by one canonical name each. IXI spells them T1/T2/PD, BraTS
 * t1/t1ce/t2/flair; both map here.
 */

export const contrasts = ['T1', 'T2', 'PD', 'FLAIR', 'T1CE'] as const;

export type Contrast = (typeof contrasts)[number];

/** The canonical contrast for a name in any case ('t1ce', 'Flair'), or null. */
export function parseContrast(name: string): Contrast | null {
  const upper = name.toUpperCase();
  return (contrasts as readonly string[]).includes(upper) ? (upper as Contrast) : null;
}

/** Like parseContrast, but a name that is no contrast is an error naming `where`. */
export function contrastOf(name: string, where = 'contrast'): Contrast {
  const c = parseContrast(name);
  if (!c) throw new RangeError(`${where}: '${name}' is not a contrast (one of ${contrasts.join(', ')})`);
  return c;
}

/**
 * The one contrast a file name names (IXI's `-T1`, BraTS's `_t1ce`,
 * `T2.nii.gz`), or null when it names none or several.
 */
export function contrastInName(file: string): Contrast | null {
  const base = file.split(/[\\/]/).pop()!.replace(/\.nii(\.gz)?$/i, '');
  const named = [...new Set(base.split(/[^A-Za-z0-9]+/).map(parseContrast).filter((c): c is Contrast => c !== null))];
  return named.length === 1 ? named[0]! : null;
}

/**
 * The contrast a file's name names when a translation would take the file
 * for another one, `from` (IXI's `-T1` translated as PD): the wrong file or
 * the wrong direction, so fedmed asks for the direction explicitly rather
 * than translating on (fedmed translate's --direction, the page's Direction
 * select). Null when the name names `from`, or no one contrast.
 */
export function misnamedInput(file: string, from: Contrast): Contrast | null {
  const named = contrastInName(file);
  return named === null || named === from ? null : named;
}
