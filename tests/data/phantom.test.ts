import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Contrast } from '../../data/contrasts.js';
import { phantomDataset } from '../../data/dataset.js';
import { tissueFractions } from '../../data/phantom/anatomy.js';
import { phantomCohort, renderPlanes, type PhantomCohort } from '../../data/phantom/cohort.js';
import { inverseNormal, normalTable, rayleighTable } from '../../data/phantom/noise.js';
import { intensityScale, type PhantomSubject } from '../../data/phantom/render.js';
import { inversionRecovery, nullingInversionTime, relaxation, spinEcho, tissueCount, tissues, type Tissue } from '../../data/phantom/tissues.js';

const all: Contrast[] = ['T1', 'T2', 'PD', 'FLAIR', 'T1CE'];

/** Mean stored intensity over voxels made of one tissue only (fraction >= 0.99), per contrast, over a band of planes. */
function tissueMeans(cohort: PhantomCohort, subject: PhantomSubject, z0: number, z1: number) {
  const n = cohort.grid.size;
  const images = renderPlanes(cohort, subject, all, [z0, z1]);
  const sums = new Map<string, { sum: number; count: number }>();
  const fractions = new Float32Array(n * n * tissueCount);
  let air: number[] = [];
  for (let z = z0; z < z1; z++) {
    tissueFractions(subject.anatomy, cohort.grid, z, fractions);
    for (let o = 0; o < n * n; o++) {
      let any = 0;
      for (let t = 0; t < tissueCount; t++) {
        const f = fractions[o * tissueCount + t]!;
        any += f;
        if (f < 0.99) continue;
        all.forEach((c, k) => {
          const key = `${tissues[t]}/${c}`;
          const e = sums.get(key) ?? { sum: 0, count: 0 };
          e.sum += images[k]![(z - z0) * n * n + o]!;
          e.count++;
          sums.set(key, e);
        });
      }
      if (any === 0) air.push((z - z0) * n * n + o);
    }
  }
  const mean = (t: Tissue, c: Contrast) => {
    const e = sums.get(`${t}/${c}`);
    if (!e || e.count < 5) throw new Error(`too few pure ${t} voxels`);
    return e.sum / e.count;
  };
  return { mean, images, air };
}

test('signal equations: long TR and short TE give proton density; the nulling TI zeroes inversion recovery', () => {
  const wm = relaxation.wm;
  assert.ok(Math.abs(spinEcho(wm, { tr: 1e7, te: 0 }) - wm.pd) < 1e-12);
  assert.ok(spinEcho(wm, { tr: 500, te: 0 }) < spinEcho(wm, { tr: 1000, te: 0 }), 'more recovery with longer TR');
  assert.ok(Math.abs(spinEcho(wm, { tr: 1e7, te: wm.t2 }) - wm.pd / Math.E) < 1e-12, 'T2 decay to 1/e at TE = T2');
  const ti = nullingInversionTime(relaxation.csf.t1, 9000);
  assert.ok(Math.abs(inversionRecovery(relaxation.csf, { tr: 9000, te: 100, ti })) < 1e-12);
  assert.ok(Math.abs(nullingInversionTime(1000, 1e9) - 1000 * Math.LN2) < 1e-9, 'TI = T1 ln 2 at infinite TR');
  // TI -> 0 is a saturation: |1 - 2 + e^-TR/T1| = 1 - e^-TR/T1, spin echo's recovery.
  assert.ok(Math.abs(inversionRecovery(wm, { tr: 2000, te: 20, ti: 0 }) - spinEcho(wm, { tr: 2000, te: 20 })) < 1e-12);
});

test('phantom contrasts order tissues as MR physics says', () => {
  const cohort = phantomCohort({ subjects: 1, size: 64, seed: 11, lesions: true });
  const subject = cohort.subjects[0]!;
  const { mean } = tissueMeans(cohort, subject, 0, 64);
  // T1-weighted: fat > white > grey > CSF (CSF dark).
  assert.ok(mean('fat', 'T1') > mean('wm', 'T1') && mean('wm', 'T1') > mean('gm', 'T1') && mean('gm', 'T1') > 1.5 * mean('csf', 'T1'));
  // T2-weighted: CSF bright, grey > white, lesion brighter than white matter.
  assert.ok(mean('csf', 'T2') > 1.5 * mean('gm', 'T2') && mean('gm', 'T2') > mean('wm', 'T2') && mean('lesion', 'T2') > 1.5 * mean('wm', 'T2'));
  // PD-weighted: CSF > grey > white.
  assert.ok(mean('csf', 'PD') > mean('gm', 'PD') && mean('gm', 'PD') > mean('wm', 'PD'));
  // FLAIR: CSF suppressed, lesion brightest, grey > white.
  assert.ok(mean('csf', 'FLAIR') < 0.2 * mean('wm', 'FLAIR'), 'CSF nulled');
  assert.ok(mean('lesion', 'FLAIR') > mean('gm', 'FLAIR') && mean('gm', 'FLAIR') > mean('wm', 'FLAIR'));
  // Gadolinium: the lesion turns from dark to bright on T1 relative to white matter; the rest stays.
  assert.ok(mean('lesion', 'T1') < mean('wm', 'T1') && mean('lesion', 'T1CE') > mean('wm', 'T1CE'));
  assert.ok(Math.abs(mean('wm', 'T1CE') / mean('wm', 'T1') - 1) < 0.02);
});

test('white/grey intensity ratios follow the spin-echo equation with BrainWeb parameters', () => {
  const cohort = phantomCohort({ subjects: 1, size: 64, seed: 5 });
  const subject = cohort.subjects[0]!; // site Guys: T1 TR 600 TE 12, T2 TR 5700 TE 100
  const { mean } = tissueMeans(cohort, subject, 0, 64);
  // Closed forms with BrainWeb's 1.5 T values (WM 500/70/0.77, GM 833/83/0.86).
  const t1Ratio = (0.77 * (1 - Math.exp(-600 / 500)) * Math.exp(-12 / 70)) / (0.86 * (1 - Math.exp(-600 / 833)) * Math.exp(-12 / 83));
  const t2Ratio = (0.77 * (1 - Math.exp(-5700 / 500)) * Math.exp(-100 / 70)) / (0.86 * (1 - Math.exp(-5700 / 833)) * Math.exp(-100 / 83));
  // The smooth bias field differs a little between where white and grey matter sit: 2%.
  assert.ok(Math.abs(mean('wm', 'T1') / mean('gm', 'T1') / t1Ratio - 1) < 0.02, `T1 ${mean('wm', 'T1') / mean('gm', 'T1')} vs ${t1Ratio}`);
  assert.ok(Math.abs(mean('wm', 'T2') / mean('gm', 'T2') / t2Ratio - 1) < 0.02, `T2 ${mean('wm', 'T2') / mean('gm', 'T2')} vs ${t2Ratio}`);
});

test('noise in air is Rayleigh: mean sigma sqrt(pi/2), std sigma sqrt(2 - pi/2)', () => {
  const cohort = phantomCohort({ subjects: 1, size: 64, seed: 7 });
  const subject = cohort.subjects[0]!;
  const { images, air } = tissueMeans(cohort, subject, 0, 16);
  const k = all.indexOf('T2');
  const values = air.map((i) => images[k]![i]!);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  // sigma as stored: noise share of the brightest brain tissue (CSF in T2) times gain and scale.
  const { tr, te } = subject.site.sequences.T2;
  const sigma = subject.site.noise * spinEcho(relaxation.csf, { tr, te }) * intensityScale * subject.site.gain;
  assert.ok(values.length > 10000);
  assert.ok(Math.abs(mean / (sigma * Math.sqrt(Math.PI / 2)) - 1) < 0.01, `mean ${mean} vs ${sigma * Math.sqrt(Math.PI / 2)}`);
  assert.ok(Math.abs(std / (sigma * Math.sqrt(2 - Math.PI / 2)) - 1) < 0.02, `std ${std} vs ${sigma * Math.sqrt(2 - Math.PI / 2)}`);
});

test('noise tables: normal quantiles match known values; both tables have the right moments', () => {
  assert.ok(Math.abs(inverseNormal(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(inverseNormal(0.001) + 3.090232306) < 1e-8);
  assert.ok(Math.abs(inverseNormal(0.3) + 0.524400513) < 1e-8);
  assert.ok(Math.abs(inverseNormal(0.5)) < 1e-12);
  const moments = (t: Float32Array) => {
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    return [mean, Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / t.length)];
  };
  const [m, s] = moments(normalTable);
  assert.ok(Math.abs(m!) < 1e-6 && Math.abs(s! - 1) < 1e-3, `normal ${m} ${s}`);
  const [rm, rs] = moments(rayleighTable);
  assert.ok(Math.abs(rm! - Math.sqrt(Math.PI / 2)) < 1e-3 && Math.abs(rs! - Math.sqrt(2 - Math.PI / 2)) < 2e-3, `rayleigh ${rm} ${rs}`);
});

test('tissue fractions are in [0, 1] and sum to at most 1', () => {
  const cohort = phantomCohort({ subjects: 1, size: 48, seed: 2, lesions: true });
  const n = 48;
  const fractions = new Float32Array(n * n * tissueCount);
  for (const z of [10, 24, 30]) {
    tissueFractions(cohort.subjects[0]!.anatomy, cohort.grid, z, fractions);
    for (let o = 0; o < n * n; o++) {
      let sum = 0;
      for (let t = 0; t < tissueCount; t++) {
        const f = fractions[o * tissueCount + t]!;
        assert.ok(f >= 0 && f <= 1, `fraction ${f}`);
        sum += f;
      }
      assert.ok(sum <= 1 + 1e-5, `sum ${sum}`);
    }
  }
});

test('the phantom is deterministic per seed, and a plane is the same rendered alone or with the volume', () => {
  const slices = { size: 24, contrasts: ['T1', 'FLAIR'] as Contrast[], sliceRange: [8, 14] as [number, number] };
  const a = phantomDataset({ subjects: 3, size: 24, seed: 4 }, slices);
  const b = phantomDataset({ subjects: 3, size: 24, seed: 4 }, slices);
  const c = phantomDataset({ subjects: 3, size: 24, seed: 5 }, slices);
  assert.equal(a.subjects.map((s) => [...s.slices.FLAIR!]), b.subjects.map((s) => [...s.slices.FLAIR!]));
  assert.not.equal([...a.subjects[0]!.slices.T1!], [...c.subjects[0]!.slices.T1!]);
  const cohort = phantomCohort({ subjects: 2, size: 24, seed: 4 });
  const whole = renderPlanes(cohort, cohort.subjects[1]!, ['PD'], [0, 24])[0]!;
  const alone = renderPlanes(cohort, cohort.subjects[1]!, ['T2', 'PD'], [13, 14])[1]!;
  assert.equal([...alone], [...whole.subarray(13 * 24 * 24, 14 * 24 * 24)]);
  for (const v of whole) assert.ok(Number.isInteger(v) && v >= 0 && v <= 32767);
});

test('sites image differently: the same anatomy class is brighter under a higher-gain scanner', () => {
  const cohort = phantomCohort({ subjects: 3, size: 48, seed: 9 });
  const [guys, hh, iop] = cohort.subjects;
  assert.equal([guys!.site.name, hh!.site.name, iop!.site.name], ['Guys', 'HH', 'IOP']);
  const wm = (s: PhantomSubject) => tissueMeans(cohort, s, 16, 32).mean('wm', 'PD');
  // Gains 1.0, 1.25, 0.8; PD timings differ a little, bias fields differ.
  assert.ok(wm(hh!) > wm(guys!) && wm(guys!) > wm(iop!));
  assert.ok(cohort.sites.map((s) => s.sequences.FLAIR.ti).every((ti, i, all) => i === 0 || ti !== all[0]));
  assert.is(phantomCohort({ subjects: 5, sites: 5, size: 16 }).sites[4]!.name, 'Site5');
});

test.run();
