/**
 * Tissue relaxation parameters and the MR signal equations that turn them
 * into T1-, T2-, PD-weighted, FLAIR and contrast-enhanced T1 intensities.
 *
 * Parameters at 1.5 T for CSF, grey and white matter and fat are BrainWeb's
 * (Collins et al., "Design and construction of a realistic digital brain
 * phantom", IEEE TMI 17(3), 1998; Kwan, Evans, Pike, IEEE TMI 18(11), 1999):
 * T1/T2 in ms, PD relative to CSF. Bone and air give no signal (PD 0).
 */
import type { Contrast } from '../contrasts.js';

/** The tissue classes the phantom mixes in each voxel; bone and air are implicit (no signal). */
export const tissues = ['csf', 'gm', 'wm', 'fat', 'lesion'] as const;
export type Tissue = (typeof tissues)[number];
export const tissueCount = tissues.length;

export interface Relaxation {
  /** Longitudinal relaxation time, ms. */
  t1: number;
  /** Transverse relaxation time, ms. */
  t2: number;
  /** Proton density relative to CSF. */
  pd: number;
}

export const relaxation: Record<Tissue, Relaxation> = {
  csf: { t1: 2569, t2: 329, pd: 1.0 }, // BrainWeb
  gm: { t1: 833, t2: 83, pd: 0.86 }, // BrainWeb
  wm: { t1: 500, t2: 70, pd: 0.77 }, // BrainWeb
  fat: { t1: 350, t2: 70, pd: 1.0 }, // BrainWeb (scalp)
  // Chronic demyelinating lesion: longer T1 and T2 and more free water than
  // white matter, representative 1.5 T values (not BrainWeb's).
  lesion: { t1: 1100, t2: 150, pd: 0.85 },
};

/**
 * Gadolinium shortens T1 of enhancing tissue: 1/T1' = 1/T1 + r1 C. r1 of
 * gadopentetate in plasma at 1.5 T is 4.1 L/(mmol s) (Rohrer et al., Invest
 * Radiol 40(11), 2005); C = 0.3 mmol/L in enhancing lesion is our assumption.
 * Only the lesion enhances: the phantom has no vessels or broken barrier elsewhere.
 */
const gadoliniumR1 = 4.1e-3; // per mmol/L per ms
const lesionGadolinium = 0.3; // mmol/L

/** A pulse sequence's timing, ms. `ti` marks an inversion-recovery sequence. */
export interface Sequence {
  tr: number;
  te: number;
  ti?: number;
}

/** Spin echo: S = PD (1 - exp(-TR/T1)) exp(-TE/T2). */
export function spinEcho(t: Relaxation, s: Sequence): number {
  return t.pd * (1 - Math.exp(-s.tr / t.t1)) * Math.exp(-s.te / t.t2);
}

/** Inversion recovery, magnitude: S = PD |1 - 2 exp(-TI/T1) + exp(-TR/T1)| exp(-TE/T2). */
export function inversionRecovery(t: Relaxation, s: Sequence & { ti: number }): number {
  return t.pd * Math.abs(1 - 2 * Math.exp(-s.ti / t.t1) + Math.exp(-s.tr / t.t1)) * Math.exp(-s.te / t.t2);
}

/** Inversion time that nulls a tissue of this T1 with repetition TR: 1 - 2e^(-TI/T1) + e^(-TR/T1) = 0. */
export function nullingInversionTime(t1: number, tr: number): number {
  return t1 * Math.log(2 / (1 + Math.exp(-tr / t1)));
}

/** The relaxation a contrast sees: T1CE is T1-weighted with gadolinium in the lesion. */
function relaxationFor(tissue: Tissue, contrast: Contrast): Relaxation {
  const r = relaxation[tissue];
  if (contrast !== 'T1CE' || tissue !== 'lesion') return r;
  return { ...r, t1: 1 / (1 / r.t1 + gadoliniumR1 * lesionGadolinium) };
}

/** Signal of one tissue under one sequence, for a contrast (FLAIR is inversion recovery). */
export function tissueSignal(tissue: Tissue, contrast: Contrast, sequence: Sequence): number {
  const r = relaxationFor(tissue, contrast);
  return sequence.ti !== undefined ? inversionRecovery(r, { ...sequence, ti: sequence.ti }) : spinEcho(r, sequence);
}

/** Signals of all tissue classes in `tissues` order. */
export function tissueSignals(contrast: Contrast, sequence: Sequence): Float64Array {
  return Float64Array.from(tissues, (t) => tissueSignal(t, contrast, sequence));
}
