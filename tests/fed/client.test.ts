/** What a client sends and keeps: only generators and a sample count leave it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../engine/index.js';
import { BatchLoader, buildItems, phantomDataset } from '../../data/index.js';
import { Client } from '../../fed/client.js';
import { federatedAverage } from '../../fed/fedavg.js';
import { readNamed } from '../../fed/state.js';
import { createModel } from '../../models/index.js';

async function makeClients(count: number): Promise<Client[]> {
  await setBackend('js');
  const data = phantomDataset({ subjects: 4 * count, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
  return Array.from({ length: count }, (_, k) => {
    const subjects = data.subjects.slice(4 * k, 4 * k + 4);
    const loader = new BatchLoader(buildItems(subjects, { seed: k }), { source: 'PD', target: 'T2', batchSize: 4, seed: k });
    return new Client(`client${k + 1}`, loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed: 10 + k, noise }), k, null);
  });
}

test('an upload holds the generators by name and the sample count, nothing of the discriminators or Adam', async () => {
  const [client] = await makeClients(1);
  await client!.trainEpoch(0);
  const update = await client!.upload();
  assert.equal(Object.keys(update).sort(), ['samples', 'state']);
  assert.is(update.samples, client!.loader.items.length);
  const generatorNames = client!.model.generatorParameters().map(([n]) => n);
  assert.equal([...update.state.keys()], generatorNames);
  const discriminatorNames = new Set(client!.model.discriminatorParameters().map(([n]) => n));
  assert.ok([...update.state.keys()].every((k) => !discriminatorNames.has(k) && !k.startsWith('discriminator')));
  const parameterCount = client!.model.generatorParameters().reduce((n, [, p]) => n + p.size, 0);
  assert.is([...update.state.values()].reduce((n, e) => n + e.values.length, 0), parameterCount);
  client!.dispose();
});

test('receiving the global generators replaces them everywhere and leaves discriminators and Adam state alone', async () => {
  const clients = await makeClients(2);
  for (const c of clients) await c.trainEpoch(0);
  const discriminatorsBefore = await Promise.all(clients.map((c) => readNamed(c.model.discriminatorParameters())));
  const momentsBefore = await Promise.all(clients.map((c) => c.model.generatorOptimizer.stateDict()));
  const global = federatedAverage(await Promise.all(clients.map((c) => c.upload())));
  for (const c of clients) c.receive(global);
  for (const [k, c] of clients.entries()) {
    const own = await readNamed(c.model.generatorParameters());
    for (const [name, entry] of global) assert.equal([...own.get(name)!.values], [...entry.values], `${c.name} ${name}`);
    const discriminators = await readNamed(c.model.discriminatorParameters());
    for (const [name, entry] of discriminatorsBefore[k]!) assert.equal([...discriminators.get(name)!.values], [...entry.values]);
    const moments = await c.model.generatorOptimizer.stateDict();
    for (const [name, entry] of momentsBefore[k]!) assert.equal([...moments.get(name)!.values], [...entry.values]);
  }
  // Different seeds: the clients' discriminators are their own.
  const [d1, d2] = discriminatorsBefore;
  assert.not.equal([...d1!.values()][0]!.values, [...d2!.values()][0]!.values);
  for (const c of clients) c.dispose();
});

test('a training loss that is not finite stops the epoch naming client, epoch and step', async () => {
  const [client] = await makeClients(1);
  const model = client!.model;
  const original = model.trainStep.bind(model);
  let calls = 0;
  model.trainStep = async (batch, options) => {
    const losses = await original(batch, options);
    return ++calls === 2 ? { ...losses, generator: NaN } : losses;
  };
  try {
    await client!.trainEpoch(0);
    assert.unreachable('should have stopped');
  } catch (e) {
    assert.match((e as Error).message, /client client1: loss generator is NaN at epoch 1, step 2/);
  }
  client!.dispose();
});

test("DP-SGD with nonFiniteLoss 'leave out' goes on past a non-finite loss: the step is counted, its losses left out of the means; 'stop' (the default) throws", async () => {
  for (const nonFiniteLoss of ['leave out', 'stop'] as const) {
    await setBackend('js');
    const data = phantomDataset({ subjects: 4, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
    const loader = new BatchLoader(buildItems(data.subjects, { seed: 0 }), { source: 'PD', target: 'T2', batchSize: 4, seed: 0 });
    const privacy = { mechanism: 'dp-sgd' as const, clip: 1, noise: 1, sensitivity: 2, randomness: 'seeded' as const, nonFiniteLoss };
    const client = new Client('client1', loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed: 10, noise }), 0, privacy);
    const model = client.model;
    const original = model.trainStep.bind(model);
    let calls = 0;
    model.trainStep = async (batch, options) => {
      const losses = await original(batch, options);
      return ++calls === 1 ? { ...losses, generator: NaN } : losses;
    };
    if (nonFiniteLoss === 'stop') {
      await client.trainEpoch(0).then(() => assert.unreachable('should have stopped'), (e: Error) => assert.match(e.message, /loss generator is NaN at epoch 1/));
    } else {
      const result = await client.trainEpoch(0);
      assert.is(result.nonFiniteSteps, 1);
      assert.ok(calls > 1 && Object.values(result.losses).every(Number.isFinite), JSON.stringify(result));
    }
    client.dispose();
  }
});

test.run();
