/** data/nifti/encode.ts gzipInSteps: the page's gzip of a synthesized volume, in pieces with a pause between. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gunzipSync } from 'fflate';
import { encodeNifti, gzipInSteps } from '../../data/nifti/encode.js';
import { decodeNifti } from '../../data/nifti/decode.js';
import { createHeader } from '../../data/nifti/header.js';
import { datatypeByName } from '../../data/nifti/datatype.js';

test('inflates to the .nii it was given, pausing after every piece; the volume reads back as encodeNifti\'s .nii.gz does', async () => {
  const shape = [17, 13, 11];
  const header = createHeader({ shape, spacing: [1, 1, 1], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], datatype: datatypeByName('float32') });
  const values = Float32Array.from({ length: 17 * 13 * 11 }, (_, i) => Math.sin(i) * 100);
  const raw = encodeNifti(header, values, { gzip: false });
  let pauses = 0;
  const gz = await gzipInSteps(raw, async () => void pauses++, 1000);
  assert.is(pauses, Math.ceil(raw.length / 1000));
  assert.equal(gunzipSync(gz), raw);
  assert.equal([...decodeNifti(gz, 'x.nii.gz').data], [...decodeNifti(encodeNifti(header, values), 'y.nii.gz').data]);
  assert.equal(gunzipSync(await gzipInSteps(new Uint8Array(0), async () => undefined)), new Uint8Array(0));
});

test.run();
