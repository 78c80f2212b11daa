/**
 * From tissue fractions to scanner intensities, one axial plane at a time:
 * partial-volume mix of the tissues' signals under the site's sequence, a
 * smooth multiplicative bias field, complex Gaussian noise taken to its
 * magnitude (Rician in tissue, Rayleigh in air), then the receiver gain and
 * rounding to whole numbers, as scanners store them (int16 in a file).
 */
import type { Rng } from '../../engine/index.js';
import { contrasts as allContrasts, type Contrast } from '../contrasts.js';
import { streamRng } from '../seed.js';
import { gridCoordinate, fieldOfView, tissueFractions, type Anatomy, type Grid } from './anatomy.js';
import { normalTable, rayleighTable } from './noise.js';
import type { Site } from './sites.js';
import { tissueCount, tissueSignals, tissues } from './tissues.js';

/** Stored intensity of a signal of 1 at gain 1: keeps the brightest tissue well inside int16. */
export const intensityScale = 3000;

/** One simulated subject: anatomy, scanner and the streams its noise comes from. */
export interface PhantomSubject {
  /** Position in the cohort, from 0. */
  index: number;
  site: Site;
  anatomy: Anatomy;
  /** Per-axis log bias profiles: bias(x, y, z) = exp(bx(x) + by(y) + bz(z)). */
  bias: [BiasProfile, BiasProfile, BiasProfile];
  /** Seeds this subject's noise streams. */
  seed: number;
}

/** sum_m amp_m cos(pi m p / fieldOfView + phase_m): smooth over the head. */
export interface BiasProfile {
  amps: number[];
  phases: number[];
}

export function drawBias(rng: Rng, amplitude: number): [BiasProfile, BiasProfile, BiasProfile] {
  const profile = (): BiasProfile => ({
    amps: [1, 2].map((m) => (amplitude / m) * (0.5 + 0.5 * rng.uniform())),
    phases: [1, 2].map(() => 2 * Math.PI * rng.uniform()),
  });
  return [profile(), profile(), profile()];
}

function biasAt(p: BiasProfile, position: number): number {
  let s = 0;
  for (let m = 0; m < p.amps.length; m++) s += p.amps[m]! * Math.cos((Math.PI * (m + 1) * position) / fieldOfView + p.phases[m]!);
  return s;
}

/** The brain tissues whose brightest signal sets the noise level (BrainWeb's reference tissue). */
const brainTissues = ['csf', 'gm', 'wm'].map((t) => tissues.indexOf(t as (typeof tissues)[number]));

/**
 * Renders plane z of `subject` for each contrast into `outputs` ([size, size]
 * each, y rows and x columns). Plane z's noise comes from its own stream, so
 * a plane is the same whether the whole volume or only it is made.
 */
export function renderPlane(subject: PhantomSubject, grid: Grid, z: number, contrasts: readonly Contrast[], outputs: Float32Array[]): void {
  const n = grid.size;
  const fractions = new Float32Array(n * n * tissueCount);
  tissueFractions(subject.anatomy, grid, z, fractions);
  const coords = Float64Array.from({ length: n }, (_, i) => gridCoordinate(grid, i));
  const [px, py, pz] = subject.bias;
  const biasX = coords.map((c) => Math.exp(biasAt(px, c)));
  const biasY = coords.map((c) => Math.exp(biasAt(py, c)));
  const biasZ = Math.exp(biasAt(pz, gridCoordinate(grid, z)));
  contrasts.forEach((contrast, k) => {
    const signals = tissueSignals(contrast, subject.site.sequences[contrast]);
    const sigma = subject.site.noise * Math.max(...brainTissues.map((t) => signals[t]!));
    const rng = streamRng(subject.seed, allContrasts.indexOf(contrast), z);
    measure(fractions, signals, biasX, biasY, biasZ, sigma, intensityScale * subject.site.gain, rng, outputs[k]!);
  });
}

/**
 * What the scanner stores for a plane of tissue fractions (interleaved, see
 * tissueFractions) given each tissue's signal: the mixed signal times the
 * bias field, plus complex Gaussian noise of std sigma, magnitude, times
 * `scale`, rounded and clipped to int16. Where there is no signal the
 * magnitude is drawn from its own (Rayleigh) distribution directly.
 */
function measure(
  fractions: Float32Array,
  signals: Float64Array,
  biasX: Float64Array,
  biasY: Float64Array,
  biasZ: number,
  sigma: number,
  scale: number,
  rng: Rng,
  out: Float32Array,
): void {
  const n = biasX.length;
  const tissues = signals.length;
  const noise = scale * sigma;
  let spare = -1; // the unused half of a random word, for the next voxel in air
  for (let j = 0; j < n; j++) {
    const rowBias = biasY[j]! * biasZ;
    for (let i = 0, o = j * n; i < n; i++, o++) {
      // Partial volume: the voxel's signal is its tissues' signals weighted by their fractions.
      let s = 0;
      for (let t = 0, f = o * tissues; t < tissues; t++, f++) s += fractions[f]! * signals[t]!;
      if (s === 0) {
        // Air and bone: the magnitude of pure complex noise is Rayleigh; 16 bits pick it.
        let bits: number;
        if (spare >= 0) {
          bits = spare;
          spare = -1;
        } else {
          const word = rng.nextUint32();
          bits = word & 0xffff;
          spare = word >>> 16;
        }
        out[o] = Math.min(32767, (noise * rayleighTable[bits]! + 0.5) | 0);
        continue;
      }
      const biased = s * biasX[i]! * rowBias;
      const bits = rng.nextUint32();
      const re = biased + sigma * normalTable[bits & 0xffff]!;
      const im = sigma * normalTable[bits >>> 16]!;
      out[o] = Math.min(32767, (scale * Math.sqrt(re * re + im * im) + 0.5) | 0);
    }
  }
}
