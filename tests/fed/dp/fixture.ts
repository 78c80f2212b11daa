/** The mpmath reference values made by fixtures/make_rdp_fixture.py, read from the source tree. */
import { readFileSync } from 'node:fs';

export interface RdpFixture {
  log_a: { q: number; sigma: number; alpha: number; log_a: number }[];
  log_erfc: { x: number; log_erfc: number }[];
}

// Compiled to dist/tests/fed/dp/, so the source tree is four levels up.
export const rdpFixture: RdpFixture = JSON.parse(
  readFileSync(new URL('../../../../tests/fed/dp/fixtures/rdp_fixture.json', import.meta.url), 'utf8'),
) as RdpFixture;

/** |actual - expected| <= atol + rtol |expected|, with both numbers in the message. */
export function close(actual: number, expected: number, rtol: number, atol = 0): boolean {
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}
