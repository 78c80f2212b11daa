/**
 * A private client's sampling and noise come from a secret key, not from the
 * public seed: two runs with the same settings draw differently, the key
 * travels with the private state (so a restored client draws what the
 * original would have), and it never leaves in an upload.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../../engine/index.js';
import { BatchLoader, buildItems, phantomDataset } from '../../../data/index.js';
import { Client } from '../../../fed/client.js';
import { DP_SECRET_ENTRY, DpSecret, type DpRandomness } from '../../../fed/dp/secret.js';
import { readNamed } from '../../../fed/state.js';
import { createModel } from '../../../models/index.js';

async function privateClient(randomness: DpRandomness): Promise<Client> {
  await setBackend('js');
  const data = phantomDataset({ subjects: 3, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
  const loader = new BatchLoader(buildItems(data.subjects, { seed: 5 }), { source: 'PD', target: 'T2', batchSize: 4, seed: 5 });
  const privacy = { mechanism: 'dp-sgd' as const, clip: 1, noise: 1.1, sensitivity: 2, randomness };
  return new Client('client1', loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed: 7, noise }), 5, privacy);
}

async function generatorsAfterEpoch(client: Client, epoch: number): Promise<Float32Array[]> {
  await client.trainEpoch(epoch);
  return [...(await readNamed(client.model.generatorParameters())).values()].map((e) => e.values);
}

test('the key survives its private-state entry bit for bit, and streams differ by purpose, index and key', () => {
  const key = DpSecret.create('secret', 0);
  const back = DpSecret.fromEntry(key.toEntry(), 'test');
  const draws = (s: DpSecret, purpose: number, index: number) => Array.from({ length: 4 }, () => s.stream(purpose, index).nextUint32());
  assert.equal(draws(back, 1, 2), draws(key, 1, 2));
  assert.not.equal(draws(key, 1, 3), draws(key, 1, 2));
  assert.not.equal(draws(key, 2, 2), draws(key, 1, 2));
  assert.not.equal(draws(DpSecret.create('secret', 0), 1, 2), draws(key, 1, 2), 'a fresh key each time');
  assert.equal(draws(DpSecret.create('seeded', 9), 1, 2), draws(DpSecret.create('seeded', 9), 1, 2), 'seeded: the seed decides');
  assert.throws(() => DpSecret.fromEntry(undefined, 'ckpt/client1.safetensors'), /ckpt\/client1\.safetensors: no DP key \('dp\.secret'/);
  assert.throws(() => DpSecret.fromEntry({ shape: [8], values: new Float32Array(8).fill(0.5) }, 'f'), /no DP key/);
});

test('two private clients with the same settings draw different samples and noise; seeded ones the same', async () => {
  const [a, b] = [await privateClient('secret'), await privateClient('secret')];
  const [ga, gb] = [await generatorsAfterEpoch(a, 0), await generatorsAfterEpoch(b, 0)];
  assert.ok(ga.some((v, i) => v.some((x, j) => x !== gb[i]![j])), 'secret: the runs differ');
  const [c, d] = [await privateClient('seeded'), await privateClient('seeded')];
  assert.equal(await generatorsAfterEpoch(c, 0), await generatorsAfterEpoch(d, 0));
  for (const client of [a, b, c, d]) client.dispose();
});

test("the key is in the private state, never in the upload; a client restored from it trains on as the original", async () => {
  const original = await privateClient('secret');
  await original.trainEpoch(0);
  const state = await original.privateState();
  assert.ok(state.has(DP_SECRET_ENTRY));
  assert.not.ok((await original.upload()).state.has(DP_SECRET_ENTRY));

  const restored = await privateClient('secret'); // its own fresh key until restored
  restored.receive((await original.upload()).state);
  restored.restorePrivateState(state, 'test state');
  assert.equal(await generatorsAfterEpoch(restored, 1), await generatorsAfterEpoch(original, 1));

  const withoutKey = new Map([...state].filter(([name]) => name !== DP_SECRET_ENTRY));
  assert.throws(() => restored.restorePrivateState(withoutKey, 'round-0001/client1.safetensors'), /round-0001\/client1\.safetensors: no DP key/);
  original.dispose();
  restored.dispose();
});

test.run();
