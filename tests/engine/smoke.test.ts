import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, tensor } from '../../engine/index.js';

test('add broadcasts a row over a matrix', async () => {
  const y = add(tensor([1, 2, 3, 4], [2, 2]), tensor([10, 20], [2]));
  assert.equal([...(await y.data())], [11, 22, 13, 24]);
});

test.run();
