/**
 * Procedural head anatomy in millimetres: scalp, skull, CSF, a folded cortex
 * of grey matter over white matter with a midline fissure, deep grey nuclei,
 * lateral and third ventricles, and optional white-matter lesions. Each
 * subject gets its own head size, pose, smooth deformation and folding
 * pattern. What a voxel holds is returned as tissue fractions (partial
 * volume over one voxel), computed one axial plane at a time so that any
 * plane can be made without the rest of the volume.
 */
import type { Rng } from '../../engine/index.js';
import { tissueCount, tissues, type Tissue } from './tissues.js';

/** The voxel grid: size^3 voxels over a field of view of fieldOfView mm, centred on 0. */
export interface Grid {
  size: number;
  /** Voxel side, mm. */
  voxel: number;
}

/** Field of view, mm: a head fits with a margin. */
export const fieldOfView = 240;

export function phantomGrid(size: number): Grid {
  if (!(Number.isInteger(size) && size >= 8)) throw new RangeError(`phantom size: want a whole number of at least 8 voxels, got ${size}`);
  return { size, voxel: fieldOfView / size };
}

/** Position of voxel index i along any axis, mm. */
export function gridCoordinate(grid: Grid, i: number): number {
  return (i - (grid.size - 1) / 2) * grid.voxel;
}

/** amp * cos(k . p + phase), p in mm. */
interface PlaneWave {
  amp: number;
  kx: number;
  ky: number;
  kz: number;
  phase: number;
}

/** An ellipsoid of one tissue, painted over what lies beneath; axes in mm, turned by `angle` about z. */
interface Blob {
  tissue: number;
  centre: [number, number, number];
  axes: [number, number, number];
  cos: number;
  sin: number;
  minAxis: number;
  meanAxis: number;
}

export interface Anatomy {
  /** Head centre offset, mm, and in-plane head rotation. */
  centre: [number, number, number];
  cos: number;
  sin: number;
  /** Outer scalp semi-axes, mm (left-right, posterior-anterior, inferior-superior). */
  head: [number, number, number];
  /** Layer thicknesses below the scalp surface, mm. */
  scalp: number;
  skull: number;
  csf: number;
  /** Cortical grey matter thickness and the depth of sulci and of the midline fissure, mm. */
  cortex: number;
  sulcusDepth: number;
  fissureDepth: number;
  /** A smooth random field whose zero set traces the sulci (unit RMS). */
  folds: PlaneWave[];
  /** Its typical gradient, per mm: |f| / foldWavenumber is roughly the distance to the nearest sulcus. */
  foldWavenumber: number;
  /** Displacement fields along x, y, z, mm. */
  warp: [PlaneWave[], PlaneWave[], PlaneWave[]];
  /** Deep structures and lesions, painted in order. */
  blobs: Blob[];
}

const tissueIndex = (t: Tissue) => tissues.indexOf(t);

/** Half-widths of the CSF in a sulcus and in the midline fissure, mm. */
const sulcusHalfWidth = 0.8;
const fissureHalfWidth = 1.5;

function around(rng: Rng, centre: number, spread: number): number {
  return centre * (1 + spread * (2 * rng.uniform() - 1));
}

function randomWave(rng: Rng, wavelength: number, amp: number): PlaneWave {
  // A uniformly random direction: normalised Gaussian vector.
  let x = rng.normal(), y = rng.normal(), z = rng.normal();
  const norm = Math.hypot(x, y, z) || 1;
  const k = (2 * Math.PI) / wavelength;
  x = (x / norm) * k;
  y = (y / norm) * k;
  z = (z / norm) * k;
  return { amp, kx: x, ky: y, kz: z, phase: 2 * Math.PI * rng.uniform() };
}

/** Draws one subject's anatomy. */
export function drawAnatomy(rng: Rng, options: { lesions: boolean }): Anatomy {
  const angle = ((2 * rng.uniform() - 1) * 5 * Math.PI) / 180; // +-5 degrees in plane
  const head: [number, number, number] = [around(rng, 70, 0.06), around(rng, 90, 0.06), around(rng, 82, 0.06)];
  const foldWavelength = around(rng, 26, 0.1);
  const folds = Array.from({ length: 8 }, () => randomWave(rng, around(rng, foldWavelength, 0.25), 1));
  const rms = Math.sqrt(folds.length / 2);
  for (const w of folds) w.amp /= rms;
  const warp = [0, 1, 2].map(() => Array.from({ length: 2 }, () => randomWave(rng, around(rng, 180, 0.3), around(rng, 3, 0.5)))) as Anatomy['warp'];

  const ventricleScale = 0.75 + 0.8 * rng.uniform(); // larger ventricles in some heads, as with age
  const gm = tissueIndex('gm');
  const csf = tissueIndex('csf');
  const blob = (tissue: number, centre: [number, number, number], axes: [number, number, number], angleDeg = 0): Blob => ({
    tissue,
    centre,
    axes,
    cos: Math.cos((angleDeg * Math.PI) / 180),
    sin: Math.sin((angleDeg * Math.PI) / 180),
    minAxis: Math.min(...axes),
    meanAxis: (axes[0] + axes[1] + axes[2]) / 3,
  });
  const blobs: Blob[] = [];
  for (const side of [-1, 1]) {
    blobs.push(blob(gm, [side * 9, -10, 2], [7, 12, 8])); // thalamus
    blobs.push(blob(gm, [side * 24, 4, 0], [5, 13, 9])); // putamen
    blobs.push(blob(gm, [side * 13, 14, 8], [5, 10, 9])); // caudate head
  }
  const v = ventricleScale;
  for (const side of [-1, 1]) {
    // Lateral ventricles: frontal horns near the midline, diverging backwards.
    blobs.push(blob(csf, [side * 8, 2, 12], [4 * v, 24, 8 * v], side * 12));
  }
  blobs.push(blob(csf, [0, -6, 0], [1.2 * v, 10, 7])); // third ventricle

  if (options.lesions) {
    const lesion = tissueIndex('lesion');
    const count = 1 + rng.int(4);
    for (let n = 0; n < count; n++) {
      // In the white matter: away from the midline and the deep nuclei, inside the cortex.
      const r = around(rng, 6, 0.5);
      const side = rng.uniform() < 0.5 ? -1 : 1;
      const centre: [number, number, number] = [side * (18 + 14 * rng.uniform()), -35 + 70 * rng.uniform(), -5 + 35 * rng.uniform()];
      blobs.push(blob(lesion, centre, [r, around(rng, r, 0.3), around(rng, r, 0.3)]));
    }
  }
  return {
    centre: [4 * (2 * rng.uniform() - 1), 4 * (2 * rng.uniform() - 1), 4 * (2 * rng.uniform() - 1)],
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    head,
    scalp: around(rng, 5, 0.15),
    skull: around(rng, 6, 0.15),
    csf: around(rng, 2.5, 0.2),
    cortex: around(rng, 3, 0.1),
    sulcusDepth: around(rng, 15, 0.2),
    fissureDepth: around(rng, 38, 0.1),
    folds,
    foldWavenumber: (2 * Math.PI) / foldWavelength,
    warp,
    blobs,
  };
}

/** cos(kx x + ky y + kz z + phase) over a plane as products of per-axis tables: C(x)C'(y) - S(x)S'(y). */
class WaveTables {
  readonly cx: Float64Array;
  readonly sx: Float64Array;
  readonly cy: Float64Array;
  readonly sy: Float64Array;
  constructor(waves: readonly PlaneWave[], coords: Float64Array, z: number) {
    const n = coords.length, m = waves.length;
    this.cx = new Float64Array(m * n);
    this.sx = new Float64Array(m * n);
    this.cy = new Float64Array(m * n);
    this.sy = new Float64Array(m * n);
    waves.forEach((w, k) => {
      const phaseZ = w.kz * z + w.phase;
      for (let i = 0; i < n; i++) {
        this.cx[k * n + i] = w.amp * Math.cos(w.kx * coords[i]!);
        this.sx[k * n + i] = w.amp * Math.sin(w.kx * coords[i]!);
        this.cy[k * n + i] = Math.cos(w.ky * coords[i]! + phaseZ);
        this.sy[k * n + i] = Math.sin(w.ky * coords[i]! + phaseZ);
      }
    });
  }

  /** The sum of the waves at grid point (i, j). */
  at(i: number, j: number, n: number): number {
    let s = 0;
    for (let k = 0, o = 0; o < this.cx.length; k++, o += n) s += this.cx[o + i]! * this.cy[o + j]! - this.sx[o + i]! * this.sy[o + j]!;
    return s;
  }
}

/** Fraction of a voxel inside a boundary at signed depth `depth` mm (positive inside), linear over one voxel. */
function ramp(depth: number, voxel: number): number {
  const t = 0.5 + depth / voxel;
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

/**
 * Tissue fractions of plane z, interleaved: out[(y * size + x) * tissueCount + t]
 * for tissue t in `tissues` order; what is left of 1 is bone or air.
 */
export function tissueFractions(a: Anatomy, grid: Grid, z: number, out: Float32Array): void {
  const n = grid.size;
  const voxel = grid.voxel;
  const coords = Float64Array.from({ length: n }, (_, i) => gridCoordinate(grid, i));
  const pz = gridCoordinate(grid, z);
  const folds = new WaveTables(a.folds, coords, pz);
  const warp = a.warp.map((w) => new WaveTables(w, coords, pz));
  const [hx, hy, hz] = a.head;
  const pial = a.scalp + a.skull + a.csf;
  const frac = new Float64Array(tissueCount);
  const [csf, gm, wm, fat] = [tissueIndex('csf'), tissueIndex('gm'), tissueIndex('wm'), tissueIndex('fat')];
  // Air test before the warp: |displacement| <= reach, and an ellipsoid grown by
  // twice that holds every point the warp can move into the head (as long as
  // the longest head axis is under twice the shortest).
  const outside = (1 + voxel / hx) ** 2;
  const reach = 2 * Math.hypot(...a.warp.map((waves) => waves.reduce((sum, w) => sum + Math.abs(w.amp), 0)));
  const grown = [hx, hy, hz].map((h) => h * (1 + voxel / hx) + reach) as [number, number, number];
  const dz = pz - a.centre[2];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const o = j * n + i;
      const dx = coords[i]! - a.centre[0];
      const dy = coords[j]! - a.centre[1];
      const rx = a.cos * dx + a.sin * dy;
      const ry = -a.sin * dx + a.cos * dy;
      const bound = (rx / grown[0]) ** 2 + (ry / grown[1]) ** 2 + (dz / grown[2]) ** 2;
      if (bound >= 1) {
        out.fill(0, o * tissueCount, (o + 1) * tissueCount);
        continue;
      }
      const qx = rx + warp[0]!.at(i, j, n);
      const qy = ry + warp[1]!.at(i, j, n);
      const qz = dz + warp[2]!.at(i, j, n);
      const rho2 = (qx / hx) ** 2 + (qy / hy) ** 2 + (qz / hz) ** 2;
      if (rho2 >= outside) {
        out.fill(0, o * tissueCount, (o + 1) * tissueCount);
        continue;
      }
      // Depth below the scalp surface along the ray from the head centre, mm.
      const radius = Math.sqrt(qx * qx + qy * qy + qz * qz);
      const rho = Math.sqrt(rho2);
      const depth = rho > 1e-9 ? radius / rho - radius : Math.min(hx, hy, hz);
      const inHead = ramp(depth, voxel);
      const inSkull = ramp(depth - a.scalp, voxel);
      const inCsf = ramp(depth - a.scalp - a.skull, voxel);
      const w = depth - pial; // depth below the brain surface
      const inBrain = ramp(w, voxel);
      let csfZone = 0, gmZone = 0;
      if (inBrain > 0) {
        // Sulci: sheets along the fold field's zero set, |f| / k mm from it, down to sulcusDepth;
        // the midline fissure likewise down to fissureDepth. Grey matter lines both and the surface.
        const lateral = Math.abs(folds.at(i, j, n)) / a.foldWavenumber;
        const mid = Math.abs(qx);
        const sulcus = ramp(a.sulcusDepth - w, voxel);
        const fissure = ramp(a.fissureDepth - w, voxel);
        csfZone = Math.max(ramp(sulcusHalfWidth - lateral, voxel) * sulcus, ramp(fissureHalfWidth - mid, voxel) * fissure);
        const lining = Math.max(
          ramp(sulcusHalfWidth + a.cortex - lateral, voxel) * ramp(a.sulcusDepth + a.cortex - w, voxel),
          ramp(fissureHalfWidth + a.cortex - mid, voxel) * ramp(a.fissureDepth + a.cortex - w, voxel),
        );
        gmZone = Math.max(csfZone, lining, ramp(a.cortex - w, voxel));
      }
      frac.fill(0);
      frac[fat] = inHead - inSkull;
      frac[csf] = inCsf - inBrain + inBrain * csfZone;
      frac[gm] = inBrain * (gmZone - csfZone);
      frac[wm] = inBrain * (1 - gmZone);
      // Deep nuclei, ventricles and lesions all sit in white matter.
      if (frac[wm]! > 0) paintBlobs(a.blobs, qx, qy, qz, voxel, frac);
      for (let t = 0; t < tissueCount; t++) out[o * tissueCount + t] = frac[t]!;
    }
  }
}

/** Paints the deep structures and lesions over the fractions at (qx, qy, qz). */
function paintBlobs(blobs: readonly Blob[], qx: number, qy: number, qz: number, voxel: number, frac: Float64Array): void {
  for (const b of blobs) {
    const dz = qz - b.centre[2];
    if (Math.abs(dz) > b.axes[2] + voxel) continue;
    const ex = qx - b.centre[0];
    const ey = qy - b.centre[1];
    const dx = b.cos * ex + b.sin * ey;
    const dy = -b.sin * ex + b.cos * ey;
    const r2 = (dx / b.axes[0]) ** 2 + (dy / b.axes[1]) ** 2 + (dz / b.axes[2]) ** 2;
    if (r2 >= (1 + voxel / b.minAxis) ** 2) continue;
    const v = ramp((1 - Math.sqrt(r2)) * b.meanAxis, voxel);
    if (v === 0) continue;
    for (let t = 0; t < frac.length; t++) frac[t]! *= 1 - v;
    frac[b.tissue]! += v;
  }
}
