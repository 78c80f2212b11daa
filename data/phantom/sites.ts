/**
 * Simulated scanners: each site images with its own timings, receiver gain,
 * noise level and coil inhomogeneity, so federated clients are not
 * identically distributed. The first three carry IXI's hospital names; their
 * timings are plausible clinical 1.5 T protocols of our choosing, not IXI's
 * published ones (HH's real scanner is 3 T; the phantom keeps 1.5 T tissue
 * values everywhere). Further sites are seeded variations.
 */
import type { Contrast } from '../contrasts.js';
import { streamRng } from '../seed.js';
import { nullingInversionTime, relaxation, type Sequence } from './tissues.js';

export interface Site {
  name: string;
  sequences: Record<Contrast, Sequence>;
  /** Receiver gain: multiplies every intensity this site stores. */
  gain: number;
  /** Noise std as a fraction of the brightest brain tissue's signal (BrainWeb's "percent noise"). */
  noise: number;
  /** Amplitude of the log bias field (0.1: intensities vary by about +-10%). */
  bias: number;
}

/** FLAIR's TI: nulls CSF at this TR, offset by `shiftMs` so sites null it slightly differently. */
function flair(tr: number, te: number, shiftMs: number): Sequence {
  return { tr, te, ti: Math.round(nullingInversionTime(relaxation.csf.t1, tr) + shiftMs) };
}

const named: Site[] = [
  {
    name: 'Guys',
    sequences: { T1: { tr: 600, te: 12 }, T1CE: { tr: 600, te: 12 }, T2: { tr: 5700, te: 100 }, PD: { tr: 5700, te: 8 }, FLAIR: flair(9000, 110, 0) },
    gain: 1.0,
    noise: 0.025,
    bias: 0.1,
  },
  {
    name: 'HH',
    sequences: { T1: { tr: 500, te: 10 }, T1CE: { tr: 500, te: 10 }, T2: { tr: 5000, te: 90 }, PD: { tr: 5000, te: 10 }, FLAIR: flair(8000, 100, 30) },
    gain: 1.25,
    noise: 0.035,
    bias: 0.2,
  },
  {
    name: 'IOP',
    sequences: { T1: { tr: 650, te: 14 }, T1CE: { tr: 650, te: 14 }, T2: { tr: 4500, te: 110 }, PD: { tr: 4500, te: 14 }, FLAIR: flair(10000, 120, -30) },
    gain: 0.8,
    noise: 0.02,
    bias: 0.12,
  },
];

/** `count` sites: Guys, HH, IOP, then Site4, Site5... drawn around them from `seed`. */
export function phantomSites(count: number, seed: number): Site[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`phantom sites: want a whole number of at least 1, got ${count}`);
  const sites = named.slice(0, count);
  for (let i = sites.length; i < count; i++) {
    const rng = streamRng(seed, 0x517e, i);
    const vary = (x: number, spread: number) => Math.round(x * (1 + spread * (2 * rng.uniform() - 1)));
    const t1 = { tr: vary(580, 0.15), te: vary(12, 0.3) };
    const longTr = vary(5200, 0.15);
    sites.push({
      name: `Site${i + 1}`,
      sequences: { T1: t1, T1CE: t1, T2: { tr: longTr, te: vary(100, 0.15) }, PD: { tr: longTr, te: vary(11, 0.3) }, FLAIR: flair(vary(9000, 0.1), vary(110, 0.1), vary(40, 1) - 40) },
      gain: 0.7 + 0.6 * rng.uniform(),
      noise: 0.015 + 0.025 * rng.uniform(),
      bias: 0.05 + 0.2 * rng.uniform(),
    });
  }
  return sites;
}
