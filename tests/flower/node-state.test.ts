/**
 * A node's state folder: what it saves restores the client's private state
 * exactly, it refuses a restart with other settings naming them, and a
 * damaged client file is refused naming the file, as a run's checkpoint is
 * (state.json is the folder's store/manifest.ts manifest).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend } from '../../engine/index.js';
import { BatchLoader, buildItems, phantomDataset } from '../../data/index.js';
import { NodeState } from '../../cli/node/state.js';
import { markerFile } from '../../store/folder.js';
import { Client } from '../../fed/client.js';
import { createModel } from '../../models/index.js';

const settings = { model: 'cyclegan', width: 2, seed: 3, part: '1/2' };
const dirs: string[] = [];

function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-node-'));
  dirs.push(dir);
  return path.join(dir, 'state');
}

/** A private client (its DP key drawn afresh, as a node's is) unless `dp` is false. */
async function makeClient(seed: number, dp = false): Promise<Client> {
  await setBackend('js');
  const data = phantomDataset({ subjects: 2, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
  const loader = new BatchLoader(buildItems(data.subjects, { seed }), { source: 'PD', target: 'T2', batchSize: 4, seed });
  const privacy = { mechanism: 'dp-sgd' as const, clip: 1, noise: 1.1, sensitivity: 2, randomness: 'secret' as const };
  return new Client('client1', loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed, noise }), seed, dp ? privacy : null);
}

const round = (serverRound: number) => ({ runId: '7', serverRound, epochs: 1, epsilon: null, steps: 1, losses: { generator: 1 } });

test('a saved round restores discriminators, Adam moments and the DP key exactly in a new process', async () => {
  const dir = stateDir();
  const trained = await makeClient(5, true);
  await trained.trainRound(0, 1);
  const state = await NodeState.open(dir, settings);
  await state.saveLedger([]);
  await state.saveRound(trained, round(1));
  await state.saveRound(trained, round(2));
  assert.equal(readdirSync(dir).sort(), ['client-round-0002.safetensors', markerFile, 'state.json'], 'one client file, the current one, beside the marker and state.json');

  const fresh = await makeClient(6, true); // other seed and key: other discriminators until restored
  const reopened = await NodeState.open(dir, settings);
  assert.equal(reopened.rounds.map((r) => r.serverRound), [1, 2]);
  await reopened.restore(fresh);
  const [want, got] = [await trained.privateState(), await fresh.privateState()];
  assert.equal([...got.keys()], [...want.keys()]);
  assert.ok(want.has('dp.secret'));
  for (const [name, entry] of want) assert.equal([...got.get(name)!.values], [...entry.values], name);
  trained.dispose();
  fresh.dispose();
});

test('other settings are refused naming the keys; a damaged client file is refused naming it', async () => {
  const dir = stateDir();
  const client = await makeClient(5);
  await (await NodeState.open(dir, settings)).saveRound(client, round(1));
  try {
    await NodeState.open(dir, { ...settings, width: 4, part: '2/2' });
    assert.unreachable('other settings accepted');
  } catch (e) {
    assert.match((e as Error).message, /other settings \(part: "1\/2" -> "2\/2", width: 2 -> 4\)/);
  }
  const file = path.join(dir, 'client-round-0001.safetensors');
  const bytes = readFileSync(file);
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(file, bytes);
  try {
    await NodeState.open(dir, settings);
    assert.unreachable('damaged file accepted');
  } catch (e) {
    assert.match((e as Error).message, /client-round-0001\.safetensors: its contents differ from state\.json \(SHA-256 mismatch\)/);
  }
  writeFileSync(path.join(dir, 'state.json'), '{"version": 2');
  try {
    await NodeState.open(dir, settings);
    assert.unreachable('torn state.json accepted');
  } catch (e) {
    assert.match((e as Error).message, /state\.json: not valid JSON/);
  }
  client.dispose();
});

test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test.run();
