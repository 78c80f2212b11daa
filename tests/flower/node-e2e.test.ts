/**
 * End to end, without Python: the SuperLink stand-in (a test double of
 * Flower's SuperLink) drives two `fedmed node` processes through FedAvg
 * rounds, playing the part of a ServerApp with FedAvg. The averaged
 * generators equal what the in-process simulation computes for the same
 * seed and data; a node killed with SIGKILL mid-round and started again
 * with its state folder rejoins, and the next round completes with both.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend, type StateEntry } from '../../engine/index.js';
import { latestCheckpoint, readSafetensors } from '../../cli/train/checkpoint.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { runTraining } from '../../cli/train/run.js';
import { modelOptions } from '../../cli/train/setup.js';
import { federatedAverage } from '../../fed/fedavg.js';
import { globalGenerators, toArrayRecord } from '../../fed/flower/hospital.js';
import { readNamed } from '../../fed/state.js';
import { createModel } from '../../models/index.js';
import { NodeProcess } from '../helpers/node-process.js';
import { SuperLinkStandIn } from '../helpers/superlink-standin.js';

const tiny = ['--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--seed', '3', '--lr', '2e-3', '--backend', 'js'];
const nodeFlags = ['--local-epochs', '1', '--poll-interval', '0.1', ...tiny];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-e2e-'));
  dirs.push(dir);
  return dir;
}

/** The ServerApp's part: train messages for `nodes` (in client order) with the global generators; their ids. */
function sendTrain(standIn: SuperLinkStandIn, runId: bigint, nodes: bigint[], global: Map<string, StateEntry>, serverRound: number, localEpochs = 1n): string[] {
  return nodes.map((nodeId) => standIn.send(nodeId, runId, 'train', new Map([
    ['arrays', { kind: 'array', record: toArrayRecord(global) }],
    ['config', { kind: 'config', record: new Map([['server-round', BigInt(serverRound)], ['local-epochs', localEpochs]]) }],
  ])));
}

/** A FedAvg round's replies, in the order of `nodes` (null where none came within `timeoutMs`). */
function fedAvgRound(standIn: SuperLinkStandIn, runId: bigint, nodes: bigint[], global: Map<string, StateEntry>, serverRound: number, timeoutMs = 60000, localEpochs = 1n) {
  return Promise.all(sendTrain(standIn, runId, nodes, global, serverRound, localEpochs).map((id) => standIn.reply(id, timeoutMs)));
}

function average(replies: Awaited<ReturnType<typeof fedAvgRound>>, params: Parameters<typeof globalGenerators>[1]): Map<string, StateEntry> {
  return federatedAverage(replies.filter((r) => r !== null).map((reply) => {
    const arrays = reply!.content!.get('arrays')!;
    const metrics = reply!.content!.get('metrics')!;
    assert.ok(arrays.kind === 'array' && metrics.kind === 'metric');
    return { state: globalGenerators(arrays.record, params), samples: Number(metrics.record.get('num-examples')) };
  }));
}

async function initialGlobal(args: string[]) {
  await setBackend('js');
  const config = await trainConfigFromArgs(args);
  const server = createModel(config.model, modelOptions(config, config.seed));
  return { config, server, global: await readNamed(server.generatorParameters()), params: server.generatorParameters() };
}

test('two node processes through two FedAvg rounds give the simulation\'s generators, bit for bit; a node started twice on one --state is refused', async () => {
  const { config, server, global: initial, params } = await initialGlobal([...tiny, '--clients', '2', '--rounds', '2', '--local-epochs', '1']);
  const simulated = tempDir();
  const simulation = await runTraining(config, simulated, { log: () => {}, progress: null });
  const expected = (await readSafetensors(path.join((await latestCheckpoint(simulated))!, 'generators.safetensors'))).tensors;

  const standIn = await SuperLinkStandIn.start();
  const dir = tempDir();
  const nodes = [new NodeProcess(standIn.address, path.join(dir, 'a'), ['--part', '1/2', ...nodeFlags]), new NodeProcess(standIn.address, path.join(dir, 'b'), ['--part', '2/2', ...nodeFlags])];
  try {
    const ids = await Promise.all(nodes.map((n) => n.joined));
    // The same node started twice: the second is refused at once, naming the folder and the running one.
    const twice = new NodeProcess(standIn.address, path.join(dir, 'a'), ['--part', '1/2', ...nodeFlags]);
    twice.joined.catch(() => {}); // it never joins
    await new Promise((resolve) => twice.child.once('close', resolve));
    assert.is(twice.child.exitCode, 2, twice.output.join('\n'));
    assert.match(twice.output.join('\n'), new RegExp(`^fedmed: ${path.join(dir, 'a')}: in use by pid ${nodes[0]!.child.pid}, which holds its lock`, 'm'));
    const runId = standIn.createRun();
    let global = initial;
    for (const round of [1, 2]) {
      const replies = await fedAvgRound(standIn, runId, ids, global, round);
      assert.ok(replies.every((r) => r?.content), `round ${round}: both replied (${replies.map((r) => r?.error?.reason ?? (r ? 'ok' : 'none'))})\n${nodes.map((n) => n.output.join('\n')).join('\n---\n')}`);
      global = average(replies, params);
    }
    for (const [name, entry] of expected) assert.equal([...global.get(name)!.values], [...entry.values], name);
    const scored = await standIn.reply(standIn.send(ids[0]!, runId, 'evaluate', new Map([['arrays', { kind: 'array', record: toArrayRecord(global) }]])), 60000);
    const metrics = scored?.content?.get('metrics');
    assert.ok(metrics?.kind === 'metric', 'an evaluate reply with metrics');
    const [a2b, b2a] = simulation.final;
    assert.is(metrics.record.get('num-examples'), BigInt(a2b!.images), 'num-examples: the held-out slices');
    assert.is(metrics.record.get('pd-to-t2-psnr'), a2b!.psnr, "the node scores the simulation's held-out subjects alike");
    assert.is(metrics.record.get('t2-to-pd-ssim'), b2a!.ssim);
    assert.is(metrics.record.get('input-pd-to-t2-mae'), simulation.history.baseline[0]!.mae);
    const bytes = ids.map((id) => standIn.nodes.get(id)!);
    const generatorBytes = [...initial.values()].reduce((n, e) => n + 4 * e.values.length, 0);
    console.log(`  per node and round: ${(bytes[0]!.bytesOut / 2 / 1024).toFixed(1)} KiB down, ${(bytes[0]!.bytesIn / 2 / 1024).toFixed(1)} KiB up, generators ${(generatorBytes / 1024).toFixed(1)} KiB`);
    for (const n of nodes) n.child.kill('SIGTERM');
    assert.equal(await Promise.all(nodes.map((n) => n.exited())), [143, 143], 'SIGTERM: exit 143 after leaving');
    for (const id of ids) assert.is(standIn.nodes.get(id)!.status, 'unregistered');
  } finally {
    for (const n of nodes) n.child.kill('SIGKILL');
    standIn.stop();
    server.dispose();
  }
});

test('a node killed with SIGKILL mid-round restarts from its state folder, and the next round completes with both; a private node refuses evaluate, and trains in a second run on the same ledger', async () => {
  const dp = ['--dp', 'dp-sgd', '--noise', '1.1'];
  const { server, global: initial, params } = await initialGlobal([...tiny, '--clients', '2']);
  const standIn = await SuperLinkStandIn.start();
  const dir = tempDir();
  const state = path.join(dir, 'a');
  let first = new NodeProcess(standIn.address, state, ['--part', '1/2', ...nodeFlags, ...dp]);
  const other = new NodeProcess(standIn.address, path.join(dir, 'b'), ['--part', '2/2', ...nodeFlags, ...dp]);
  try {
    const [idA, idB] = await Promise.all([first.joined, other.joined]);
    const runId = standIn.createRun();
    let global = average(await fedAvgRound(standIn, runId, [idA, idB], initial, 1), params);

    // Round 2: kill node A once its ledger holds the round, i.e. while it trains.
    const [toA, toB] = sendTrain(standIn, runId, [idA, idB], global, 2);
    const ledgerRounds = () => {
      try {
        return JSON.parse(readFileSync(path.join(state, 'state.json'), 'utf8')).ledger.length as number;
      } catch {
        return 0; // not written yet
      }
    };
    const ledgerDeadline = Date.now() + 60000; // uvu has no test timeout: a ledger that never grows must fail, not hang CI
    while (ledgerRounds() < 2) {
      assert.ok(Date.now() < ledgerDeadline, `node A's ledger did not reach round 2 within 60 s:\n${first.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    first.child.kill('SIGKILL');
    const fromB = await standIn.reply(toB!, 60000);
    const replies = [await standIn.reply(toA!, 1000), fromB];
    assert.is(replies[0], null, 'no reply from the killed node');
    assert.ok(replies[1]?.content, 'the other node replied');
    global = average(replies, params);
    assert.ok(standIn.onlineNodes().includes(idA), "the killed node's key still counts as online, as on the real SuperLink");

    first = new NodeProcess(standIn.address, state, ['--part', '1/2', ...nodeFlags, ...dp]);
    const idA2 = await first.joined;
    assert.not.equal(idA2, idA, 'a fresh key, a fresh node id: no wait for the old key to go offline');
    assert.ok(first.output.some((l) => /1 rounds trained before, the last server round 1/.test(l)), first.output.join('\n'));
    const round3 = await fedAvgRound(standIn, runId, [idA2, idB], global, 3);
    assert.ok(round3.every((r) => r?.content), 'round 3: both replied');
    const saved = JSON.parse(readFileSync(path.join(state, 'state.json'), 'utf8'));
    assert.equal(saved.rounds.map((r: { serverRound: number }) => r.serverRound), [1, 3], 'rounds trained to the end');
    assert.equal(saved.ledger.map((e: { round: number }) => e.round), [1, 2, 3], 'the killed round is accounted for');
    const metrics = round3[0]!.content!.get('metrics')!;
    assert.ok(metrics.kind === 'metric');
    assert.is(metrics.record.get('epsilon'), saved.ledger[2].epsilon, 'the epsilon reported covers the killed round too');
    const scored = await standIn.reply(standIn.send(idB, runId, 'evaluate', new Map([['arrays', { kind: 'array', record: toArrayRecord(global) }]])), 60000);
    assert.not.ok(scored?.content, 'a private node sends no held-out scores without --share-scores');
    assert.match(scored?.error?.reason ?? '', /does not send its held-out subjects' scores: its DP guarantee does not cover them/);

    // A second `flwr run` starts again at server round 1: node A trains it, and its epsilon goes on from the first run's.
    const [again] = await fedAvgRound(standIn, standIn.createRun(), [idA2], global, 1);
    const run2 = again?.content?.get('metrics');
    assert.ok(run2?.kind === 'metric', `run 2 round 1 trained: ${again?.error?.reason}`);
    const after = JSON.parse(readFileSync(path.join(state, 'state.json'), 'utf8'));
    assert.equal(after.ledger.map((e: { round: number }) => e.round), [1, 2, 3, 4], 'one ledger over both runs');
    assert.equal(after.rounds.map((r: { serverRound: number }) => r.serverRound), [1, 3, 1]);
    assert.ok((run2.record.get('epsilon') as number) > saved.ledger[2].epsilon, 'epsilon adds up across runs');
  } finally {
    first.child.kill('SIGKILL');
    other.child.kill('SIGKILL');
    standIn.stop();
    server.dispose();
  }
});

test("heartbeats go on from their own thread while a round's training keeps the node's main thread busy", async () => {
  const { server, global } = await initialGlobal([...tiny, '--clients', '2']);
  const standIn = await SuperLinkStandIn.start();
  const node = new NodeProcess(standIn.address, path.join(tempDir(), 'a'), ['--part', '1/2', ...nodeFlags, '--heartbeat-interval', '10', '--local-epochs', '16']);
  try {
    const id = await node.joined;
    const sent = Date.now();
    const [reply] = await fedAvgRound(standIn, standIn.createRun(), [id], global, 1, 120000, 16n);
    const replied = Date.now();
    assert.ok(reply?.content, 'the round was answered');
    const beats = standIn.calls.filter((c) => c.nodeId === id && c.method === 'sendNodeHeartbeat' && c.at > sent + 1000 && c.at < replied);
    assert.ok(replied - sent > 5600, `the round took ${replied - sent} ms, more than a heartbeat period (3.5-4.5 s) after the first second`);
    assert.ok(beats.length >= 1, `no heartbeat during a ${replied - sent} ms round`);
  } finally {
    node.child.kill('SIGKILL');
    standIn.stop();
    server.dispose();
  }
});

test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test.run();
