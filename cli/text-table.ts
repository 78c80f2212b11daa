/**
 * Plain-text tables for the terminal: fedmed eval's and metrics' scores, the
 * benches' timings. The first column (a label) is left-aligned, the others
 * (numbers) right-aligned, two spaces apart, each as wide as its widest cell.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const lines = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...lines.map((r) => r[c]!.length)));
  return lines.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}
