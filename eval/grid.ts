/**
 * Sample grids: slices on [0, 1] laid out in rows (input | synthesized |
 * target) with small gaps, as one 8-bit grayscale raster ready for
 * `encodePng`.
 */
import type { ImageSize } from './metrics.js';
import type { RasterImage } from './png.js';

/** One comparison row: three H x W slices on [0, 1]. */
export interface ComparisonRow {
  input: Float32Array;
  synthesized: Float32Array;
  target: Float32Array;
}

export interface GridOptions {
  /** Pixels between cells (default 4). */
  gap?: number;
  /** Gap gray level on [0, 1] (default 1, white, so dark slice borders stay apart). */
  background?: number;
}

/** Rows of (input | synthesized | target), top to bottom in the order given. */
export function comparisonGrid(rows: readonly ComparisonRow[], size: ImageSize, options: GridOptions = {}): RasterImage {
  return composeGrid(
    rows.map((row) => [row.input, row.synthesized, row.target]),
    size,
    options,
  );
}

/**
 * Cells (each H x W on [0, 1], row-major) placed on a grid: `cells[r][c]` at
 * row r, column c. Every row must have the same number of cells. Values are
 * clamped to [0, 1] and rounded to 0..255; NaN shows as 0.
 */
export function composeGrid(cells: readonly (readonly Float32Array[])[], size: ImageSize, options: GridOptions = {}): RasterImage {
  const { height, width } = size;
  const gap = options.gap ?? 4;
  const background = unitToByte(options.background ?? 1);
  const rows = cells.length;
  const cols = cells[0]?.length ?? 0;
  if (rows === 0 || cols === 0) throw new Error('composeGrid: no cells');
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`composeGrid: gap ${gap} is not a non-negative integer`);

  const outWidth = cols * width + (cols - 1) * gap;
  const outHeight = rows * height + (rows - 1) * gap;
  const pixels = new Uint8Array(outWidth * outHeight).fill(background);
  cells.forEach((row, r) => {
    if (row.length !== cols) throw new Error(`composeGrid: row ${r} has ${row.length} cells, row 0 has ${cols}`);
    row.forEach((cell, c) => {
      if (cell.length !== height * width) {
        throw new Error(`composeGrid: cell (${r}, ${c}) has ${cell.length} values, not ${height}x${width}`);
      }
      const top = r * (height + gap);
      const left = c * (width + gap);
      for (let y = 0; y < height; y++) {
        const base = (top + y) * outWidth + left;
        for (let x = 0; x < width; x++) pixels[base + x] = unitToByte(cell[y * width + x]!);
      }
    });
  });
  return { width: outWidth, height: outHeight, channels: 1, pixels };
}

/** [0, 1] to 0..255, clamped and rounded; NaN to 0. */
export function unitToByte(v: number): number {
  return v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
}
