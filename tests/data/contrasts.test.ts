/** data/contrasts.ts misnamedInput: the one rule by which fedmed translate and the page ask for the direction explicitly. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { misnamedInput } from '../../data/contrasts.js';

test('misnamedInput: the contrast a name names when it is not the one translated from; null for that one or for no one', () => {
  assert.is(misnamedInput('/data/IXI001-Guys-1001-T1.nii.gz', 'PD'), 'T1'); // a third contrast
  assert.is(misnamedInput('IXI002-Guys-0828-T2.nii.gz', 'PD'), 'T2'); // the target: the other direction
  assert.is(misnamedInput('BraTS2021_00000_t1ce.nii.gz', 'T1'), 'T1CE');
  assert.is(misnamedInput('IXI002-Guys-0828-PD.nii.gz', 'PD'), null);
  assert.is(misnamedInput('subject_T1_to_T2.nii.gz', 'PD'), null); // names two: no guess
  assert.is(misnamedInput('scan.nii.gz', 'PD'), null);
});

test.run();
