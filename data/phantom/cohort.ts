/**
 * The built-in phantom as a cohort: N subjects spread over the sites, each
 * with its own anatomy and bias field, all drawn from one seed; and the
 * volumes or single planes rendered from it. Same seed, same images.
 */
import type { Contrast } from '../contrasts.js';
import { datatypeByName } from '../nifti/datatype.js';
import { createHeader, type NiftiHeader } from '../nifti/header.js';
import { streamRng, mixSeed } from '../seed.js';
import { drawAnatomy, gridCoordinate, phantomGrid, type Grid } from './anatomy.js';
import { drawBias, renderPlane, type PhantomSubject } from './render.js';
import { phantomSites, type Site } from './sites.js';

export interface PhantomOptions {
  /** Number of subjects (default 40). */
  subjects?: number;
  /** Voxels along each side of the cubic volume (default 128; the field of view is 240 mm). */
  size?: number;
  /** Seed of everything random (default 3, the reference's). */
  seed?: number;
  /** Number of simulated scanners; subjects go to them in turn (default 3: Guys, HH, IOP). */
  sites?: number;
  /** White-matter lesions, 1 to 4 per subject (default none). */
  lesions?: boolean;
}

export interface PhantomCohort {
  options: Required<PhantomOptions>;
  grid: Grid;
  sites: Site[];
  subjects: PhantomSubject[];
}

export const phantomDefaults: Required<PhantomOptions> = { subjects: 40, size: 128, seed: 3, sites: 3, lesions: false };

export function phantomCohort(options: PhantomOptions = {}): PhantomCohort {
  const o = { ...phantomDefaults, ...options };
  if (!(Number.isInteger(o.subjects) && o.subjects >= 1)) throw new RangeError(`phantom subjects: want a whole number of at least 1, got ${o.subjects}`);
  const grid = phantomGrid(o.size);
  const sites = phantomSites(o.sites, o.seed);
  const subjects = Array.from({ length: o.subjects }, (_, index): PhantomSubject => {
    const site = sites[index % sites.length]!;
    const rng = streamRng(o.seed, 0xa7a, index);
    return {
      index,
      site,
      anatomy: drawAnatomy(rng, { lesions: o.lesions }),
      bias: drawBias(rng, site.bias),
      seed: mixSeed(o.seed, 0x4015e, index),
    };
  });
  return { options: o, grid, sites, subjects };
}

/**
 * The axial band the phantom's slices come from by default: the reference's
 * z in [50, 80) of 128 (DESIGN.md, "The reference code"), scaled to the volume's depth, so every
 * size shows the same anatomy (the level of the lateral ventricles).
 */
export function phantomSliceRange(size: number): [number, number] {
  return [Math.round((50 * size) / 128), Math.round((80 * size) / 128)];
}

/**
 * Planes z0 <= z < z1 of one subject for each contrast: [z1 - z0, size, size]
 * each, x fastest, as a NIfTI file stores them.
 */
export function renderPlanes(cohort: PhantomCohort, subject: PhantomSubject, contrasts: readonly Contrast[], zRange: [number, number]): Float32Array[] {
  const n = cohort.grid.size;
  const [z0, z1] = zRange;
  const volumes = contrasts.map(() => new Float32Array((z1 - z0) * n * n));
  for (let z = z0; z < z1; z++) {
    const offset = (z - z0) * n * n;
    renderPlane(subject, cohort.grid, z, contrasts, volumes.map((v) => v.subarray(offset, offset + n * n)));
  }
  return volumes;
}

/** A NIfTI header for the cohort's volumes: int16, isotropic voxels, RAS axes centred on 0. */
export function phantomHeader(cohort: PhantomCohort, descrip: string): NiftiHeader {
  const { size, voxel } = cohort.grid;
  const origin = gridCoordinate(cohort.grid, 0);
  return createHeader({
    shape: [size, size, size],
    spacing: [voxel, voxel, voxel],
    affine: [
      [voxel, 0, 0, origin],
      [0, voxel, 0, origin],
      [0, 0, voxel, origin],
      [0, 0, 0, 1],
    ],
    datatype: datatypeByName('int16'),
    descrip,
  });
}
