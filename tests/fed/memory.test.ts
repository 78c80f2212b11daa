/**
 * A long federated run holds a flat memory curve: 100 rounds of FedAvg with
 * DP-SGD over two clients of a tiny CycleGAN on wasm (each round: receive the
 * global generators, a local epoch of Poisson-sampled per-sample steps,
 * upload, average) leave the live tensors, handles and backend bytes where
 * the first round left them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memory, setBackend, type EngineMemory } from '../../engine/index.js';
import { BatchLoader, buildItems, phantomDataset } from '../../data/index.js';
import { Client } from '../../fed/client.js';
import { federatedRound } from '../../fed/round.js';
import { readNamed } from '../../fed/state.js';
import { createModel } from '../../models/index.js';
import { installNodePlatform } from '../../platform/node.js';

installNodePlatform();

test('100 federated DP-SGD rounds keep live tensors, handles and backend bytes flat', async () => {
  await setBackend('wasm', { threads: 1 });
  const data = phantomDataset({ subjects: 4, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
  const privacy = { mechanism: 'dp-sgd' as const, clip: 1, noise: 1.07, sensitivity: 2, randomness: 'seeded' as const };
  const clients = [0, 1].map((k) => {
    const loader = new BatchLoader(buildItems(data.subjects.slice(2 * k, 2 * k + 2), { count: 4, seed: k }), { source: 'PD', target: 'T2', batchSize: 2, seed: k });
    return new Client(`client${k + 1}`, loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed: 10 + k, noise }), k, privacy);
  });
  let global = await readNamed(clients[0]!.model.generatorParameters());
  const counts: EngineMemory[] = [];
  for (let round = 0; round < 100; round++) {
    global = (await federatedRound(clients, global, round, 1)).global;
    counts.push(memory());
  }
  for (const [round, m] of counts.entries()) assert.equal(m, counts[0], `after round ${round + 1}`);
  for (const c of clients) c.dispose();
  await setBackend('js');
});

test.run();
