/**
 * A node's state folder: what it saves restores the client's private state
 * exactly, it refuses a restart with other settings naming them, and a
 * damaged client file is refused naming the file, as a run's checkpoint is
 * (state.json is the folder's store/manifest.ts manifest).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeSafetensors } from '../../engine/index.js';
import { NodeState } from '../../cli/node/state.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { nodeStateBytes } from '../../cli/train/run-folder.js';
import { PrivacyLedger } from '../../fed/dp/ledger.js';
import { markerFile } from '../../store/folder.js';
import { writeManifest } from '../../store/manifest.js';
import { stateClient, stateSettings } from '../helpers/node-state-kill.js';
import { rejects } from '../helpers/rejects.js';

const settings = stateSettings;
const makeClient = stateClient;
const dirs: string[] = [];

function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-node-'));
  dirs.push(dir);
  return path.join(dir, 'state');
}

const begun = (round: number, serverRound = round, runId = '7') => ({ round, runId, serverRound, firstEpoch: round - 1, epochs: 1 });
const trained = (round: number, serverRound = round, runId = '7') => ({ ...begun(round, serverRound, runId), epsilon: null, steps: 1, losses: { generator: 1 } });

/** Saves round 1 of client seed 5 in the state folder `dir` (opened with `settings`), and closes it. */
async function saveOneRound(dir: string): Promise<void> {
  const client = await makeClient(5);
  const state = await NodeState.open(dir, settings);
  await state.saveRound(client, trained(1));
  state.close();
  client.dispose();
}

test('a saved round restores discriminators, Adam moments and the DP key exactly in a new process', async () => {
  const dir = stateDir();
  const client = await makeClient(5, true);
  await client.trainRound(0, 1);
  const state = await NodeState.open(dir, settings);
  for (const n of [1, 2]) {
    await state.beginRound(begun(n), []);
    await state.saveRound(client, trained(n));
  }
  assert.equal(readdirSync(dir).sort(), ['.lock', 'client-0002.safetensors', markerFile, 'state.json'], 'one client file, the current one, beside the lock, the marker and state.json');

  state.close();
  const fresh = await makeClient(6, true); // other seed and key: other discriminators until restored
  const reopened = await NodeState.open(dir, settings);
  assert.equal(reopened.rounds.map((r) => r.serverRound), [1, 2]);
  await reopened.restore(fresh);
  const [want, got] = [await client.privateState(), await fresh.privateState()];
  assert.equal([...got.keys()], [...want.keys()]);
  assert.ok(want.has('dp.secret'));
  for (const [name, entry] of want) assert.equal([...got.get(name)!.values], [...entry.values], name);
  reopened.close();
  client.dispose();
  fresh.dispose();
});

test('a state that never began a round (its first start failed, on a typo in --data say) takes the next start\'s settings', async () => {
  const dir = stateDir();
  (await NodeState.open(dir, { ...settings, data: '/no/such/data' })).close(); // claimed, then the data failed to load
  await saveOneRound(dir);
  await rejects(() => NodeState.open(dir, { ...settings, data: '/no/such/data' }), /other settings \(data: /);
});

test('a client file costs the node what its free-space check reserves for it, twice (the next is written before the last goes)', async () => {
  const dir = stateDir();
  await saveOneRound(dir);
  const fileBytes = statSync(path.join(dir, 'client-0001.safetensors')).size;
  const reserved = nodeStateBytes(await trainConfigFromArgs(['--size', '32', '--width', '2', '--epochs', '1'])); // the client's model
  assert.ok(2 * fileBytes <= reserved && reserved <= 2 * fileBytes + 2 * 2 ** 21, `two files of ${fileBytes} bytes against ${reserved} reserved`);
});

test('other settings are refused naming the keys; a damaged client file is refused naming it', async () => {
  const dir = stateDir();
  await saveOneRound(dir);
  try {
    await NodeState.open(dir, { ...settings, width: 4, part: '2/2' });
    assert.unreachable('other settings accepted');
  } catch (e) {
    assert.match((e as Error).message, /other settings \(part: "1\/2" -> "2\/2", width: 2 -> 4\)/);
  }
  const file = path.join(dir, 'client-0001.safetensors');
  const bytes = readFileSync(file);
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(file, bytes);
  try {
    await NodeState.open(dir, settings);
    assert.unreachable('damaged file accepted');
  } catch (e) {
    assert.match((e as Error).message, /client-0001\.safetensors: its contents differ from state\.json \(SHA-256 mismatch\)/);
  }
  writeFileSync(path.join(dir, 'state.json'), '{"version": 2');
  try {
    await NodeState.open(dir, settings);
    assert.unreachable('torn state.json accepted');
  } catch (e) {
    assert.match((e as Error).message, /state\.json: not valid JSON/);
  }
});

test('killed before any file operation of a round\'s writes, the folder restarts, naming a whole client file, and trains on', async () => {
  const script = fileURLToPath(new URL('../helpers/node-state-kill.js', import.meta.url));
  const outcomes: string[] = [];
  for (let n = 1; ; n++) {
    const dir = stateDir();
    const child = spawnSync(process.execPath, [script, dir, String(n)], { encoding: 'utf8' });
    const finished = child.stdout.includes('finished');
    assert.ok(finished || child.signal === 'SIGKILL', `kill point ${n}: ${child.stderr}`);
    const state = await NodeState.open(dir, settings);
    const client = await makeClient(5);
    await state.restore(client);
    outcomes.push(`${state.begun.length} begun, ${state.rounds.length} trained`);
    const next = { round: state.begun.length + 1, runId: 'B', serverRound: 2, firstEpoch: state.begun.length, epochs: 1 };
    await state.beginRound(next, null);
    await state.saveRound(client, { ...next, epsilon: null, steps: 1, losses: {} });
    state.close();
    const reopened = await NodeState.open(dir, settings);
    assert.equal(reopened.rounds.at(-1)!.round, next.round, `kill point ${n}: the next round saves`);
    reopened.close();
    client.dispose();
    if (finished) break;
    assert.ok(n < 10, 'the writes end');
  }
  // begin's state.json, the client file, state.json naming it, the old file's removal; then no kill.
  assert.equal(outcomes, ['1 begun, 1 trained', '2 begun, 1 trained', '2 begun, 1 trained', '2 begun, 2 trained', '2 begun, 2 trained']);
});

test('a version 3 folder is read: its rounds begun are rebuilt from the ledger, a killed round\'s steps standing for its epochs', async () => {
  const dir = stateDir();
  const client = await makeClient(5);
  const ledger = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' });
  for (const round of [1, 2, 3]) ledger.record({ client: 'client1', round, steps: 3, q: 0.5, noise: 1.1 });
  const v3 = (serverRound: number) => ({ runId: '7', serverRound, epochs: 1, epsilon: ledger.entries[serverRound - 1]!.epsilon, steps: 3, losses: {} });
  const old = 'client-round-0003.safetensors';
  mkdirSync(dir);
  writeFileSync(path.join(dir, markerFile), '{"fedmed": "node state"}\n');
  writeFileSync(path.join(dir, old), encodeSafetensors(await client.privateState()));
  await writeManifest(dir, [old], settings, { file: 'state.json', extra: { version: 3, ledger: ledger.entries, rounds: [v3(1), v3(3)] } });

  const state = await NodeState.open(dir, settings);
  assert.equal(state.begun.map((r) => [r.round, r.serverRound, r.firstEpoch, r.epochs]), [[1, 1, 0, 1], [2, 2, 1, 3], [3, 3, 4, 1]]);
  assert.equal(state.rounds.map((r) => [r.round, r.firstEpoch]), [[1, 0], [3, 4]]);
  await state.restore(client);
  const next = { round: 4, runId: '8', serverRound: 1, firstEpoch: 5, epochs: 1 };
  await state.beginRound(next, null);
  await state.saveRound(client, { ...next, epsilon: null, steps: 1, losses: {} });
  assert.equal(readdirSync(dir).sort(), ['.lock', 'client-0004.safetensors', markerFile, 'state.json'], 'the version 3 client file goes once a new one is named');
  state.close();
  client.dispose();
});

test("one process at a time: a second open is refused naming the folder and the holder's pid; a killed holder's lock is taken over", async () => {
  const dir = stateDir();
  const lock = path.join(dir, '.lock');
  const inUse = (pid: number) => new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: in use by pid ${pid}, which holds its lock ${lock.replace(/\./g, '\\.')}; stop that process, or give another folder \\(if that pid is no fedmed using this folder, the lock is stale: remove ${lock.replace(/\./g, '\\.')}\\)$`);
  const state = await NodeState.open(dir, settings);
  await rejects(() => NodeState.open(dir, settings), inUse(process.pid));
  state.close();
  assert.not.ok(existsSync(lock), 'close releases the lock');

  const lockModule = new URL('../../store/lock.js', import.meta.url).href;
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `await (await import(${JSON.stringify(lockModule)})).lockFolder(${JSON.stringify(dir)}, 'node state'); console.log('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  await rejects(() => NodeState.open(dir, settings), inUse(holder.pid!));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  const taken = await NodeState.open(dir, settings);
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid, 'the killed holder\'s lock is this process\'s now');
  taken.close();
});

test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test.run();
