/**
 * The hospital behind a Flower node: a train message trains exactly as the
 * simulation's client does, bad arrays and a spent budget are error replies
 * that leave the model and the ledger as they were, and what never leaves
 * the hospital is not in any reply: a private hospital's own failure (a
 * non-finite loss, which names the batch's subjects) reaches the server, here
 * through the SuperLink stand-in (a test double of Flower's SuperLink), as
 * its kind only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend, type StateEntry } from '../../engine/index.js';
import { BatchLoader, buildItems, phantomDataset } from '../../data/index.js';
import { Client, type PrivacySettings } from '../../fed/client.js';
import { PrivacyLedger, type LedgerEntry } from '../../fed/dp/ledger.js';
import { Hospital, toArrayRecord, type StartedRound, type TrainedRound } from '../../fed/flower/hospital.js';
import { fromNpy, toNpy } from '../../fed/flower/npy.js';
import type { ArrayRecord, ConfigRecord, FlowerMessage, RecordDict, Reply } from '../../fed/flower/records.js';
import { runSuperNode } from '../../fed/flower/supernode.js';
import { readNamed } from '../../fed/state.js';
import { createModel } from '../../models/index.js';
import { rejects } from '../helpers/rejects.js';
import { SuperLinkStandIn } from '../helpers/superlink-standin.js';

const privacy: PrivacySettings = { mechanism: 'dp-sgd', clip: 1, noise: 1.1, sensitivity: 2, randomness: 'seeded' };

async function makeClient(dp: boolean, nonFiniteLoss?: PrivacySettings['nonFiniteLoss']): Promise<Client> {
  await setBackend('js');
  const data = phantomDataset({ subjects: 3, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
  const loader = new BatchLoader(buildItems(data.subjects, { seed: 5 }), { source: 'PD', target: 'T2', batchSize: 4, seed: 5 });
  return new Client('client1', loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed: 7, noise }), 5, dp ? { ...privacy, nonFiniteLoss } : null);
}

interface Harness {
  hospital: Hospital;
  client: Client;
  ledger: PrivacyLedger | null;
  saved: { begun: StartedRound[]; ledgers: (readonly LedgerEntry[])[]; rounds: TrainedRound[] };
}

interface HarnessOptions {
  dp?: boolean;
  /** A private client's PrivacySettings.nonFiniteLoss (default 'stop'). */
  nonFiniteLoss?: PrivacySettings['nonFiniteLoss'];
  maxEpsilon?: number;
  log?: string[];
  /** Rounds begun before (a restarted node's). */
  history?: StartedRound[];
  onStep?: () => void;
}

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const client = await makeClient(Boolean(options.dp), options.nonFiniteLoss);
  const ledger = options.dp ? new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' }) : null;
  const saved: Harness['saved'] = { begun: [], ledgers: [], rounds: [] };
  const hospital = new Hospital({
    client,
    evaluate: async (generators) => ({ examples: 7, metrics: { 'pd-to-t2-psnr': generators.size } }),
    localEpochs: 1,
    history: options.history ?? [],
    privacy: ledger ? { ledger, noise: privacy.noise, maxEpsilon: options.maxEpsilon ?? null } : null,
    beginRound: async (round, entries) => {
      saved.begun.push(round);
      if (entries) saved.ledgers.push([...entries]);
    },
    saveRound: async (round) => void saved.rounds.push(round),
    onStep: options.onStep,
    log: (line) => void options.log?.push(line),
  });
  return { hospital, client, ledger, saved };
}

/** A global model to send: another client's generators (other seed), so receiving them changes something. */
async function globalGenerators(): Promise<Map<string, StateEntry>> {
  const other = createModel('cyclegan', { width: 2, size: 32, seed: 99 });
  const state = await readNamed(other.generatorParameters());
  other.dispose();
  return state;
}

function message(type: string, content: RecordDict, runId = 11n): FlowerMessage {
  return {
    metadata: { runId, messageId: 'ab'.repeat(32), srcNodeId: 1n, dstNodeId: 42n, replyToMessageId: '', groupId: '', ttl: 3600, messageType: type, createdAt: Date.now() / 1000 },
    content,
  };
}

function trainContent(arrays: ArrayRecord, config: ConfigRecord = new Map([['server-round', 1n]])): RecordDict {
  return new Map([
    ['arrays', { kind: 'array', record: arrays }],
    ['config', { kind: 'config', record: config }],
  ]);
}

function errorOf(reply: Reply): string {
  assert.ok('error' in reply && reply.error, `expected an error reply, got ${JSON.stringify([...('content' in reply && reply.content ? reply.content.keys() : [])])}`);
  return reply.error.reason;
}

test('a train message trains as the simulation client does and replies with generators and num-examples only', async () => {
  const global = await globalGenerators();
  const { hospital, client, saved } = await harness();
  const reply = await hospital.handle(message('train', trainContent(toArrayRecord(global), new Map([['server-round', 2n], ['local-epochs', 1n]]))));
  assert.ok('content' in reply && reply.content, 'a content reply');
  const content = reply.content!;
  assert.equal([...content.keys()], ['arrays', 'metrics']);

  const twin = await makeClient(false); // the simulation's client: receive, its first epoch, upload
  twin.receive(global);
  const local = await twin.trainRound(0, 1);
  const expected = (await twin.upload()).state;
  const arrays = content.get('arrays')!;
  assert.ok(arrays.kind === 'array');
  assert.equal([...arrays.record.keys()], [...expected.keys()], 'one array per generator parameter, in order');
  for (const [name, entry] of expected) {
    const got = fromNpy(arrays.record.get(name)!.data);
    assert.equal(got.shape, [...entry.shape], name);
    assert.equal([...got.values], [...entry.values], name);
  }
  const metrics = content.get('metrics')!;
  assert.ok(metrics.kind === 'metric');
  assert.is(metrics.record.get('num-examples'), BigInt(client.samples));
  assert.is(metrics.record.get('loss-generator'), local.losses.generator);
  assert.not.ok(metrics.record.has('epsilon'), 'no epsilon without DP');
  assert.is(saved.rounds.length, 1);
  assert.is(saved.rounds[0]!.serverRound, 2);
  twin.dispose();
  client.dispose();
});

test('bad arrays are error replies naming the array, and the model is left as it was', async () => {
  const global = await globalGenerators();
  const names = [...global.keys()];
  const first = names[0]!;
  const { hospital, client, saved } = await harness();
  const before = await readNamed(client.model.generatorParameters());
  const cases: [string, (r: ArrayRecord) => void, RegExp][] = [
    ['unknown name', (r) => r.set('g_a2b.extra.weight', r.get(first)!), /array 'g_a2b\.extra\.weight' is not a generator parameter/],
    ['missing array', (r) => r.delete(names[3]!), new RegExp(`array '${names[3]!.replace(/\./g, '\\.')}' is missing`)],
    ['wrong shape', (r) => r.set(first, { dtype: 'float32', shape: [1, 2], data: toNpy(new Float32Array(2), [1, 2]) }), /has shape \[1,2\]/],
    ['non-finite value', (r) => {
      const values = global.get(first)!.values.slice();
      values[3] = NaN;
      r.set(first, { dtype: 'float32', shape: [...global.get(first)!.shape], data: toNpy(values, global.get(first)!.shape) });
    }, /holds NaN at flat index 3/],
    ['wrong dtype', (r) => r.set(first, { ...r.get(first)!, dtype: 'float64' }), /float64, expected float32/],
    ['corrupt .npy', (r) => r.set(first, { ...r.get(first)!, data: new Uint8Array([1, 2, 3]) }), new RegExp(`array '${first.replace(/\./g, '\\.')}'`)],
  ];
  for (const [what, spoil, pattern] of cases) {
    const arrays = toArrayRecord(global);
    spoil(arrays);
    const reason = errorOf(await hospital.handle(message('train', trainContent(arrays))));
    assert.match(reason, pattern, what);
  }
  const after = await readNamed(client.model.generatorParameters());
  for (const [name, entry] of before) assert.equal([...after.get(name)!.values], [...entry.values], `${name} unchanged`);
  assert.is(saved.rounds.length, 0, 'no round recorded');
  assert.match(errorOf(await hospital.handle(message('train', trainContent(toArrayRecord(global), new Map())))), /config 'server-round' must be an int/);
  assert.match(errorOf(await hospital.handle(message('query', trainContent(toArrayRecord(global))))), /message type 'query' is not one a fedmed node handles/);
  client.dispose();
});

test('DP: the ledger is saved before training and epsilon is reported; a round past --max-epsilon is refused and spends nothing', async () => {
  const global = await globalGenerators();
  const log: string[] = [];
  let ledgersAtFirstStep: number | undefined;
  const harnessed: Harness = await harness({ dp: true, maxEpsilon: 1e9, log, onStep: () => void (ledgersAtFirstStep ??= harnessed.saved.ledgers.length) });
  const { hospital, client, ledger, saved } = harnessed;
  const reply = await hospital.handle(message('train', trainContent(toArrayRecord(global))));
  assert.is(ledgersAtFirstStep, 1, 'the ledger is persisted before the first training step');
  assert.ok(log.some((l) => /^round 1: .*; epsilon [\d.]+ per slice at delta 0\.00001 by (RDP|PRV) \(a whole subject, up to \d+ slices, .*\)$/.test(l)), log.join('\n'));
  assert.ok('content' in reply && reply.content);
  const metrics = reply.content!.get('metrics')!;
  assert.ok(metrics.kind === 'metric');
  const epsilon = metrics.record.get('epsilon') as number;
  assert.ok(epsilon > 0 && Number.isFinite(epsilon));
  assert.is(ledger!.entries.at(-1)!.epsilon, epsilon);
  assert.is(saved.ledgers.length, 1, 'ledger persisted once, before the round');
  assert.is(saved.ledgers[0]!.at(-1)!.epsilon, epsilon);
  assert.not.ok([...metrics.record.keys()].some((k) => k.startsWith('loss-')), 'no un-noised losses leave a private node');

  const tight = await harness({ dp: true, maxEpsilon: epsilon * 1.05, history: [{ round: 1, runId: '11', serverRound: 1, firstEpoch: 0, epochs: 1 }] });
  tight.ledger!.record({ client: 'client1', round: 1, steps: tight.client.loader.length, q: tight.client.samplingRate, noise: privacy.noise });
  const before = await readNamed(tight.client.model.generatorParameters());
  const reason = errorOf(await tight.hospital.handle(message('train', trainContent(toArrayRecord(global), new Map([['server-round', 2n]])))));
  assert.match(reason, /round 2 would spend epsilon [\d.]+ per slice .* past this hospital's --max-epsilon/);
  assert.is(tight.ledger!.entries.length, 1, 'nothing recorded');
  assert.is(tight.saved.ledgers.length, 0);
  const after = await readNamed(tight.client.model.generatorParameters());
  for (const [name, entry] of before) assert.equal([...after.get(name)!.values], [...entry.values]);
  assert.match(errorOf(await hospital.handle(message('train', trainContent(toArrayRecord(global))))), /^run 11 server round 1 was begun here before \(this node's round 1\); a server round is trained once$/);
  client.dispose();
  tight.client.dispose();
});

test('DP: the hospital numbers its epochs itself, so a server that changes local-epochs never makes it reuse a sample or noise', async () => {
  // Round 1 trains 3 epochs, round 2 one: numbered by the server (round - 1) * local-epochs, round 2 would redo epoch 1.
  const global = await globalGenerators();
  const { hospital, client, saved } = await harness({ dp: true });
  const config = (serverRound: bigint, epochs: bigint): ConfigRecord => new Map([['server-round', serverRound], ['local-epochs', epochs]]);
  await hospital.handle(message('train', trainContent(toArrayRecord(global), config(1n, 3n))));
  const reply = await hospital.handle(message('train', trainContent(toArrayRecord(global), config(2n, 1n))));
  assert.equal(saved.rounds.map((r) => r.epochs), [3, 1]);

  const twin = await makeClient(true); // the same client trained on epochs 0-2, then epoch 3
  for (const [first, epochs] of [[0, 3], [3, 1]] as const) {
    twin.receive(global);
    await twin.trainRound(first, epochs);
  }
  const arrays = 'content' in reply ? reply.content!.get('arrays')! : null;
  assert.ok(arrays?.kind === 'array');
  for (const [name, entry] of (await twin.upload()).state) assert.equal([...fromNpy(arrays.record.get(name)!.data).values], [...entry.values], name);
  client.dispose();
  twin.dispose();
});

test('a round that asks for more local epochs than a round trains, or would carry the epochs past 2^32 (where streams repeat), is refused and records nothing', async () => {
  const global = await globalGenerators();
  const config = (serverRound: bigint, epochs: bigint): ConfigRecord => new Map([['server-round', serverRound], ['local-epochs', epochs]]);
  const { hospital, client, saved } = await harness({ dp: true });
  assert.match(errorOf(await hospital.handle(message('train', trainContent(toArrayRecord(global), config(1n, 2n ** 32n))))), /^config 'local-epochs' 4294967296 is more than a round trains here \(at most 1000\)$/);
  client.dispose();
  const late = await harness({ dp: true, history: [{ round: 1, runId: '11', serverRound: 1, firstEpoch: 2 ** 32 - 2, epochs: 1 }] });
  assert.match(errorOf(await late.hospital.handle(message('train', trainContent(toArrayRecord(global), config(2n, 2n))))), /^this node has trained 4294967295 epochs; 2 more would pass 2\^32, where its sampling and noise streams repeat; give the node a new --state folder$/);
  assert.equal([saved.begun.length, late.saved.begun.length], [0, 0], 'nothing begun');
  late.client.dispose();
});

test('an evaluate message replies with the scores and num-examples, leaving the model alone', async () => {
  const global = await globalGenerators();
  const { hospital, client } = await harness();
  const before = await readNamed(client.model.generatorParameters());
  const reply = await hospital.handle(message('evaluate', new Map([['arrays', { kind: 'array', record: toArrayRecord(global) }]])));
  assert.ok('content' in reply && reply.content);
  const metrics = reply.content!.get('metrics')!;
  assert.ok(metrics.kind === 'metric');
  assert.is(metrics.record.get('num-examples'), 7n);
  assert.is(metrics.record.get('pd-to-t2-psnr'), global.size);
  const after = await readNamed(client.model.generatorParameters());
  for (const [name, entry] of before) assert.equal([...after.get(name)!.values], [...entry.values]);
  client.dispose();
});

/** A train config whose learning rate, though finite, blows the weights up: a later step's loss is not finite. */
const blowUp: ConfigRecord = new Map<string, bigint | number>([['server-round', 1n], ['lr', 1e30]]);
const GENERIC_LOSS_FAILURE = "training failed: a loss was not finite; details are in the node's log";

/** The subject ids of a client's training items (what a non-finite loss's text names). */
function subjectIds(client: Client): string[] {
  return [...new Set(client.loader.items.flatMap((item) => [item.a.id, item.b.id]))];
}

test('a private node answers a non-finite loss with its kind only and logs the detail; a non-private node throws it as before', async () => {
  const global = await globalGenerators();
  const lines: string[] = [];
  const { hospital, client } = await harness({ dp: true, log: lines });
  const reason = errorOf(await hospital.handle(message('train', trainContent(toArrayRecord(global), blowUp))));
  assert.is(reason, GENERIC_LOSS_FAILURE);
  const detail = lines.find((l) => /loss \w+ is (NaN|-?Infinity) at epoch 1, step \d+, on a batch of /.test(l));
  assert.ok(detail, `the full text is in the node's log:\n${lines.join('\n')}`);
  assert.ok(subjectIds(client).some((id) => detail.includes(id)), 'the log names the batch\'s subjects');

  const open = await harness();
  await rejects(() => open.hospital.handle(message('train', trainContent(toArrayRecord(global), blowUp))), /on a batch of /);
  client.dispose();
  open.client.dispose();
});

test("a private node that leaves non-finite units out (fedmed node's) answers a blow-up round with an update like any other: no error, finite weights, the round charged, the count in its log only", async () => {
  const global = await globalGenerators();
  const lines: string[] = [];
  const { hospital, client, ledger, saved } = await harness({ dp: true, nonFiniteLoss: 'leave out', log: lines });
  const reply = await hospital.handle(message('train', trainContent(toArrayRecord(global), blowUp)));
  assert.ok('content' in reply && reply.content, `an update, not an error: ${'error' in reply ? reply.error?.reason : ''}`);
  assert.ok(saved.rounds[0]!.nonFiniteSteps! > 0, 'some step had a non-finite loss');
  assert.ok(lines.some((l) => /step\(s\) with a non-finite loss, their units left out of the clipped sums/.test(l)), lines.join('\n'));
  for (const [name, entry] of (await client.upload()).state) assert.ok(entry.values.every(Number.isFinite), `${name} is not finite`);
  assert.is(ledger!.entries.length, 1);
  const metrics = (reply as { content: RecordDict }).content.get('metrics');
  assert.equal(metrics?.kind === 'metric' ? [...metrics.record.keys()].sort() : [], ['epsilon', 'num-examples', 'steps']);
  client.dispose();
});

test('a round that fails on a non-finite loss leaves the client as it was: the next round, without lr, trains as a fresh client on the epochs after the failed one', async () => {
  const global = await globalGenerators();
  const { hospital, client, ledger, saved } = await harness({ dp: true });
  assert.is(errorOf(await hospital.handle(message('train', trainContent(toArrayRecord(global), blowUp)))), GENERIC_LOSS_FAILURE);
  const reply = await hospital.handle(message('train', trainContent(toArrayRecord(global), new Map([['server-round', 2n]]))));
  assert.ok('content' in reply && reply.content, `round 2 trained: ${'error' in reply ? reply.error?.reason : ''}`);

  // The failed round drew epoch 0's streams: round 2 trains epoch 1, from the private state before round 1, at the node's lr.
  const twin = await makeClient(true);
  twin.receive(global);
  await twin.trainRound(1, 1);
  const arrays = reply.content!.get('arrays')!;
  assert.ok(arrays.kind === 'array');
  for (const [name, entry] of (await twin.upload()).state) assert.equal([...fromNpy(arrays.record.get(name)!.data).values], [...entry.values], name);
  assert.equal(saved.begun.map((r) => [r.round, r.serverRound, r.firstEpoch]), [[1, 1, 0], [2, 2, 1]], 'both rounds begun, each on its own epoch');
  assert.equal(saved.rounds.map((r) => r.serverRound), [2]);
  assert.equal(ledger!.entries.map((e) => e.round), [1, 2], 'the failed round stays charged: it ran on the data');
  client.dispose();
  twin.dispose();
});

test("a message's lr holds for its round only: the next round without one trains at the node's lr", async () => {
  const global = await globalGenerators();
  const seen: number[] = [];
  const { hospital, client } = await harness({ onStep: () => seen.push(client.model.generatorOptimizer.lr, client.model.discriminatorOptimizer.lr) });
  const nodeLr = client.model.generatorOptimizer.lr;
  await hospital.handle(message('train', trainContent(toArrayRecord(global), new Map<string, bigint | number>([['server-round', 1n], ['lr', 5e-3]]))));
  assert.ok(seen.length > 0 && seen.every((lr) => lr === 5e-3), 'round 1 at the message\'s lr');
  seen.length = 0;
  await hospital.handle(message('train', trainContent(toArrayRecord(global), new Map([['server-round', 2n]]))));
  assert.ok(seen.length > 0 && seen.every((lr) => lr === nodeLr), `round 2 at the node's lr ${nodeLr}, got ${[...new Set(seen)]}`);
  client.dispose();
});

test('DP: rounds are keyed by run, so a second run trains and its epsilon adds to the first run\'s; a repeated run and round is refused', async () => {
  const global = await globalGenerators();
  const { hospital, client, ledger } = await harness({ dp: true });
  const epsilonOf = (reply: Reply) => {
    const metrics = 'content' in reply ? reply.content?.get('metrics') : undefined;
    assert.ok(metrics?.kind === 'metric', 'a content reply');
    return metrics.record.get('epsilon') as number;
  };
  const first = epsilonOf(await hospital.handle(message('train', trainContent(toArrayRecord(global)), 11n)));
  const second = epsilonOf(await hospital.handle(message('train', trainContent(toArrayRecord(global)), 12n)));
  assert.ok(second > first, `run 12's round 1 spends on top of run 11's: ${second} > ${first}`);
  assert.match(errorOf(await hospital.handle(message('train', trainContent(toArrayRecord(global)), 12n))), /^run 12 server round 1 was begun here before \(this node's round 2\)/);
  assert.equal(ledger!.entries.map((e) => e.round), [1, 2], 'nothing charged for the repeat');
  client.dispose();
});

test("a config 'lr' that is not a finite positive float is refused in one line naming it, before any budget is spent", async () => {
  const global = await globalGenerators();
  const { hospital, client, ledger, saved } = await harness({ dp: true });
  for (const lr of [NaN, Infinity, -1e-3, 0, 2n, 'fast']) {
    const reason = errorOf(await hospital.handle(message('train', trainContent(toArrayRecord(global), new Map([['server-round', 1n], ['lr', lr]])))));
    assert.match(reason, /^config 'lr' must be a finite positive float, got \S+ \S+$/, String(lr));
  }
  assert.is(ledger!.entries.length, 0, 'nothing spent');
  assert.is(saved.ledgers.length + saved.rounds.length, 0);
  client.dispose();
});

test("through the SuperLink stand-in: a private node's non-finite loss reaches the server as its kind, no subject in it", async () => {
  const global = await globalGenerators();
  const lines: string[] = [];
  const { hospital, client } = await harness({ dp: true, log: lines });
  const standIn = await SuperLinkStandIn.start();
  const stop = new AbortController();
  const running = runSuperNode({ superlink: standIn.address, handler: (m) => hospital.handle(m), log: (l) => lines.push(l), signal: stop.signal, pollInterval: 0.05 });
  try {
    const [nodeId] = await standIn.waitForNodes(1, 5000);
    const id = standIn.send(nodeId!, standIn.createRun(), 'train', trainContent(toArrayRecord(global), blowUp));
    const reply = await standIn.reply(id, 60000);
    assert.is(reply?.error?.reason, GENERIC_LOSS_FAILURE);
    assert.ok(lines.some((l) => subjectIds(client).some((s) => l.includes(s))), "the subjects are in the node's own log");
  } finally {
    stop.abort();
    await running;
    standIn.stop();
    client.dispose();
  }
});

test.run();
