import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { federatedAverage } from '../../fed/fedavg.js';

const state = (values: number[]) => new Map([['w', { shape: [values.length], values: Float32Array.from(values) }]]);

test('FedAvg weights each client by its share of the samples', () => {
  const avg = federatedAverage([
    { state: state([1, 10]), samples: 30 },
    { state: state([3, 20]), samples: 10 },
  ]);
  assert.equal([...avg.get('w')!.values], [1.5, 12.5]);
  assert.equal(avg.get('w')!.shape, [2]);
});

test('FedAvg refuses clients whose parameters differ', () => {
  assert.throws(() => federatedAverage([{ state: state([1]), samples: 1 }, { state: state([1, 2]), samples: 1 }]), /client 1/);
  assert.throws(() => federatedAverage([{ state: state([1]), samples: 0 }]), /positive total/);
});

test.run();
