import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { contrastInName } from '../../data/contrasts.js';
import { detectLayout, indexDataset, missingContrasts } from '../../data/layouts.js';

test('IXI: folders per contrast or flat, site kept, MRA/DTI ignored, missing reported, the suffix in either case', () => {
  const paths = [
    'T1/IXI002-Guys-0828-T1.nii.gz',
    'T2/IXI002-Guys-0828-T2.nii.gz',
    'PD/IXI002-Guys-0828-PD.nii.gz',
    'IXI012-HH-1211-T1.nii.gz',
    'IXI012-HH-1211-T2.nii.gz',
    'IXI013-IOP-0873-PD.nii',
    'IXI014-HH-0900-T1.NII.GZ',
    'IXI002-Guys-0828-MRA.nii.gz',
    'IXI002-Guys-0828-DTI-01.nii.gz',
    'README.txt',
  ];
  const index = indexDataset(paths);
  assert.is(index.layout, 'ixi');
  assert.equal(index.subjects.map((s) => [s.id, s.site]), [['IXI002', 'Guys'], ['IXI012', 'HH'], ['IXI013', 'IOP'], ['IXI014', 'HH']]);
  assert.equal(index.subjects[0]!.files, { T1: 'T1/IXI002-Guys-0828-T1.nii.gz', T2: 'T2/IXI002-Guys-0828-T2.nii.gz', PD: 'PD/IXI002-Guys-0828-PD.nii.gz' });
  assert.equal(index.ignored, ['IXI002-Guys-0828-DTI-01.nii.gz', 'IXI002-Guys-0828-MRA.nii.gz']);
  assert.equal(index.subjects[3]!.files, { T1: 'IXI014-HH-0900-T1.NII.GZ' });
  assert.equal(missingContrasts(index, ['PD', 'T2']), [{ id: 'IXI012', missing: ['PD'] }, { id: 'IXI013', missing: ['T2'] }, { id: 'IXI014', missing: ['PD', 'T2'] }]);
});

test('BraTS2021: one folder per subject, seg ignored, ids sorted numerically; duplicates are problems', () => {
  const paths = [
    'BraTS2021_00010/BraTS2021_00010_t1.nii.gz',
    'BraTS2021_00010/BraTS2021_00010_t1ce.nii.gz',
    'BraTS2021_00010/BraTS2021_00010_seg.nii.gz',
    'BraTS2021_00002/BraTS2021_00002_flair.nii.gz',
    'BraTS2021_00002/BraTS2021_00002_t2.nii.gz',
    'copy/BraTS2021_00002_t2.nii.gz',
  ];
  assert.is(detectLayout(paths), 'brats');
  const index = indexDataset(paths);
  assert.equal(index.subjects.map((s) => s.id), ['BraTS2021_00002', 'BraTS2021_00010']);
  assert.is(index.subjects[0]!.site, null);
  assert.equal(index.subjects[1]!.files, { T1: 'BraTS2021_00010/BraTS2021_00010_t1.nii.gz', T1CE: 'BraTS2021_00010/BraTS2021_00010_t1ce.nii.gz' });
  assert.equal(index.ignored, ['BraTS2021_00010/BraTS2021_00010_seg.nii.gz']);
  assert.equal(index.subjects.map((s) => s.problems), [['two T2 files (BraTS2021_00002/BraTS2021_00002_t2.nii.gz, copy/BraTS2021_00002_t2.nii.gz)'], []]);
  assert.equal(missingContrasts(index, ['T1', 'T2']).map((m) => m.missing), [['T1'], ['T2']]);
});

test('contrastInName: the one contrast a file name names, as IXI and BraTS spell them', () => {
  assert.is(contrastInName('/data/IXI002-Guys-0828-T2.nii.gz'), 'T2');
  assert.is(contrastInName('BraTS2021_00000_t1ce.nii.gz'), 'T1CE');
  assert.is(contrastInName('PD.nii'), 'PD');
  assert.is(contrastInName('subject_T1_to_T2.nii.gz'), null); // two: no guess
  assert.is(contrastInName('scan.nii.gz'), null);
});

test.run();
