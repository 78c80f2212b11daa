/**
 * fedmed's SuperNode loop against the SuperLink stand-in (a test double of
 * Flower's SuperLink, tests/helpers/superlink-standin.ts): a message and its
 * reply cross in chunks, in plaintext and over TLS, a corrupted object is an error reply, a message of
 * an unknown run is skipped, a reply the SuperLink rejects is reported, a
 * SuperLink that is not there is retried then given up on, and stopping
 * deactivates and unregisters. Flower's limits: an object that never
 * becomes available, or is larger than the node takes, is an error reply
 * naming it; a message of a run stopped meanwhile is skipped. A stop while
 * the SuperLink cannot be reached ends the node as
 * a stop (a `fedmed node` process exits 130); a SuperLink that forgot the
 * node ends it with a line saying how to rejoin. The first heartbeat has
 * Flower's 5 s deadline.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromNpy, toNpy } from '../../fed/flower/npy.js';
import { postOrder, short } from '../../fed/flower/objects.js';
import type { FlowerMessage, RecordDict, Reply } from '../../fed/flower/records.js';
import { runSuperNode, type SuperNodeOptions, type SuperNodeSummary } from '../../fed/flower/supernode.js';
import { NodeProcess } from '../helpers/node-process.js';
import { SuperLinkStandIn } from '../helpers/superlink-standin.js';

const values = Float32Array.from({ length: 300 }, (_, i) => i / 7);

function content(): RecordDict {
  return new Map([
    ['arrays', { kind: 'array', record: new Map([['w', { dtype: 'float32', shape: [3, 100], data: toNpy(values, [3, 100]) }]]) }],
    ['config', { kind: 'config', record: new Map([['server-round', 1n]]) }],
  ]);
}

/** A handler that doubles the array it gets and counts its calls. */
function doubling(handled: FlowerMessage[], delayMs = 0) {
  return async (message: FlowerMessage): Promise<Reply> => {
    handled.push(message);
    await new Promise((r) => setTimeout(r, delayMs));
    const array = message.content!.get('arrays')!;
    assert.ok(array.kind === 'array');
    const w = fromNpy(array.record.get('w')!.data);
    const doubled = w.values.map((v) => 2 * v);
    return { content: new Map([['arrays', { kind: 'array', record: new Map([['w', { dtype: 'float32', shape: w.shape, data: toNpy(doubled, w.shape) }]]) }], ['metrics', { kind: 'metric', record: new Map([['num-examples', 5n]]) }]]) };
  };
}

/** `promise`, or a failure after `ms` (uvu has no test timeout: a wait that never ends must fail, not hang CI). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function withNode(standIn: SuperLinkStandIn, options: Partial<SuperNodeOptions> & Pick<SuperNodeOptions, 'handler'>, body: (nodeId: bigint, log: string[]) => Promise<void>): Promise<SuperNodeSummary> {
  const stop = new AbortController();
  const log: string[] = [];
  const running = runSuperNode({ superlink: standIn.address, log: (l) => log.push(l), signal: stop.signal, pollInterval: 0.05, chunkSize: 256, ...options });
  try {
    const [nodeId] = await standIn.waitForNodes(1, 5000);
    await body(nodeId!, log);
  } finally {
    stop.abort();
  }
  return within(running, 20000, 'the node after its stop');
}

test('a train message and its reply cross in 256-byte chunks; stopping deactivates and unregisters', async () => {
  const standIn = await SuperLinkStandIn.start();
  const handled: FlowerMessage[] = [];
  const summary = await withNode(standIn, { handler: doubling(handled) }, async (nodeId) => {
    const runId = standIn.createRun();
    const id = standIn.send(nodeId, runId, 'train', content(), { chunkSize: 256 });
    const reply = await standIn.reply(id, 5000);
    assert.ok(reply?.content, 'a reply with content');
    const array = reply!.content!.get('arrays')!;
    assert.ok(array.kind === 'array');
    assert.equal([...fromNpy(array.record.get('w')!.data).values], [...values.map((v) => 2 * v)]);
    assert.is(reply!.metadata.replyToMessageId, id);
    assert.is(reply!.metadata.srcNodeId, nodeId);
    assert.ok(postOrder(standIn.instructionTree(id)).length > 6, 'the instruction went in several chunks');
  });
  assert.is(summary.messages, 1);
  assert.is(handled.length, 1);
  const methods = standIn.calls.map((c) => c.method);
  assert.equal(methods.slice(0, 2), ['registerNode', 'activateNode']);
  assert.equal(methods.slice(-2), ['deactivateNode', 'unregisterNode']);
  for (const m of ['sendNodeHeartbeat', 'getRun', 'pullObject', 'confirmMessageReceived', 'pushMessages', 'pushObject']) assert.ok(methods.includes(m), m);
  assert.is(standIn.nodes.get(summary.nodeId)!.status, 'unregistered');
  standIn.stop();
});

test('a corrupted object is an error reply naming it; a message of an unknown run is skipped; the node carries on', async () => {
  const standIn = await SuperLinkStandIn.start();
  const handled: FlowerMessage[] = [];
  await withNode(standIn, { handler: doubling(handled) }, async (nodeId, log) => {
    const runId = standIn.createRun();
    const bad = standIn.send(nodeId, runId, 'train', content());
    const chunk = postOrder(standIn.instructionTree(bad))[0]!;
    standIn.corruptObject(chunk);
    const reply = await standIn.reply(bad, 5000);
    assert.ok(reply?.error, 'an error reply');
    assert.match(reply!.error!.reason, new RegExp(`object ${chunk.slice(0, 12)}\\.\\.\\.: its bytes hash to`));
    assert.is(handled.length, 0, 'the handler never saw it');

    standIn.send(nodeId, 12345n, 'train', content());
    const good = standIn.send(nodeId, runId, 'train', content());
    assert.ok((await standIn.reply(good, 5000))?.content, 'the next message is answered');
    assert.is(handled.length, 1);
    assert.ok(log.some((l) => /is for run 12345, which the SuperLink does not know .*NOT_FOUND.*; skipped/.test(l)), log.join('\n'));
  });
  standIn.stop();
});

test('a reply the SuperLink rejects (its instruction expired) is reported', async () => {
  const standIn = await SuperLinkStandIn.start();
  await withNode(standIn, { handler: doubling([], 1200) }, async (nodeId, log) => {
    const id = standIn.send(nodeId, standIn.createRun(), 'train', content(), { ttl: 1 });
    assert.is(await standIn.reply(id, 2500), null, 'no reply accepted');
    assert.ok(log.some((l) => /the SuperLink rejected the reply to train message .*"None":0/.test(l)), log.join('\n'));
  });
  standIn.stop();
});

test('over TLS: a node given the CA joins and is answered; one without it cannot reach the SuperLink', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-tls-'));
  try {
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=superlink', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const standIn = await SuperLinkStandIn.start({ key: readFileSync(key), cert: readFileSync(cert) });
    const handled: FlowerMessage[] = [];
    await withNode(standIn, { handler: doubling(handled), rootCertificates: readFileSync(cert) }, async (nodeId) => {
      const id = standIn.send(nodeId, standIn.createRun(), 'train', content());
      assert.ok((await standIn.reply(id, 5000))?.content, 'answered over TLS');
    });
    try {
      await runSuperNode({ superlink: standIn.address, handler: doubling([]), log: () => {}, retry: { giveUpAfter: 0 } });
      assert.unreachable('a plaintext node reached a TLS SuperLink');
    } catch (e) {
      assert.match((e as Error).message, /cannot be reached/);
    }
    standIn.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a SuperLink that is not there: one line per retry with backoff, then an error', async () => {
  const standIn = await SuperLinkStandIn.start();
  const address = standIn.address;
  standIn.stop();
  const log: string[] = [];
  const started = Date.now();
  try {
    await runSuperNode({ superlink: address, handler: doubling([]), log: (l) => log.push(l), retry: { firstDelay: 0.1, maxDelay: 1, giveUpAfter: 0.35 } });
    assert.unreachable('joined a SuperLink that is not there');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`the SuperLink at ${address} cannot be reached \\(RegisterNode: UNAVAILABLE.*\\) after 3 attempts over 0\\.[3-9] s`));
  }
  assert.is(log.length, 2, log.join('\n'));
  assert.match(log[0]!, /retrying in 0.1 s \(attempt 2\)/);
  assert.match(log[1]!, /retrying in 0.2 s \(attempt 3\)/);
  assert.ok(Date.now() - started >= 300, 'it waited between attempts');
});

test('an object that never becomes available: one log line while waiting, then an error reply naming it at the try or time limit', async () => {
  const standIn = await SuperLinkStandIn.start();
  let stuck = '';
  standIn.intercept('pullObject', (request) => (request.objectId === stuck ? { objectFound: true, objectAvailable: false } : undefined));
  for (const [limits, limit] of [[{ pullTries: 4 }, /after 4 tries over/], [{ pullSeconds: 0.4 }, /after \d+ tries over (0\.[4-9]|[1-9]\d*\.\d) s/]] as const) {
    const handled: FlowerMessage[] = [];
    await withNode(standIn, { handler: doubling(handled), limits }, async (nodeId, log) => {
      const runId = standIn.createRun();
      const id = standIn.send(nodeId, runId, 'train', content());
      stuck = postOrder(standIn.instructionTree(id)).at(-2)!; // the RecordDict
      const reply = await standIn.reply(id, 10000);
      assert.ok(reply?.error, 'an error reply');
      assert.match(reply!.error!.reason, new RegExp(`object ${short(stuck)} was still not available ${limit.source}`));
      const waits = log.filter((l) => l.includes(`waiting for object ${short(stuck)}`));
      assert.is(waits.length, 1, log.join('\n'));
      assert.match(waits[0]!, new RegExp(`^train message ${short(id)}: waiting for object`));
      stuck = '';
      assert.ok((await standIn.reply(standIn.send(nodeId, runId, 'train', content()), 5000))?.content, 'the next message is answered');
      assert.is(handled.length, 1);
    });
  }
  standIn.stop();
});

test('a message of a run stopped meanwhile (flwr stop: PERMISSION_DENIED) is skipped with a line; the node carries on', async () => {
  const standIn = await SuperLinkStandIn.start();
  const handled: FlowerMessage[] = [];
  await withNode(standIn, { handler: doubling(handled) }, async (nodeId, log) => {
    const runId = standIn.createRun();
    assert.ok((await standIn.reply(standIn.send(nodeId, runId, 'train', content()), 5000))?.content, 'answered while the run runs');
    standIn.stopRun(runId);
    const late = standIn.send(nodeId, runId, 'train', content());
    assert.ok((await standIn.reply(standIn.send(nodeId, standIn.createRun(), 'train', content()), 5000))?.content, "another run's message is answered");
    assert.ok(log.some((l) => l.startsWith(`train message ${short(late)}: skipped, its run ${runId} is no longer running (PullObject: PERMISSION_DENIED`)), log.join('\n'));
    assert.is(handled.length, 2);
  });
  standIn.stop();
});

test('an object larger than the node takes (RESOURCE_EXHAUSTED) is an error reply naming it and its size; the node carries on', async () => {
  const standIn = await SuperLinkStandIn.start();
  const handled: FlowerMessage[] = [];
  await withNode(standIn, { handler: doubling(handled), limits: { maxMessageBytes: 1000 } }, async (nodeId) => {
    const runId = standIn.createRun();
    const id = standIn.send(nodeId, runId, 'train', content(), { chunkSize: 1 << 20 });
    const chunk = postOrder(standIn.instructionTree(id))[0]!;
    const reply = await standIn.reply(id, 5000);
    assert.ok(reply?.error, 'an error reply');
    assert.match(reply!.error!.reason, new RegExp(`object ${short(chunk)} is larger than this node takes \\(.*\\d+ vs 1000\\)`));
    assert.ok((await standIn.reply(standIn.send(nodeId, runId, 'train', content(), { chunkSize: 256 }), 5000))?.content, 'the next message is answered');
    assert.is(handled.length, 1);
  });
  standIn.stop();
});

test('the first heartbeat carries the 5 s deadline every heartbeat has', async () => {
  const standIn = await SuperLinkStandIn.start();
  await withNode(standIn, { handler: doubling([]) }, async () => {
    for (let k = 0; k < 100 && !standIn.calls.some((c) => c.method === 'sendNodeHeartbeat'); k++) await new Promise((r) => setTimeout(r, 20));
  });
  const first = standIn.calls.find((c) => c.method === 'sendNodeHeartbeat');
  assert.ok(first, 'a heartbeat was sent');
  assert.ok(first!.deadline !== null && first!.deadline > 0 && first!.deadline <= 5, `deadline ${first!.deadline}`);
  assert.is(standIn.calls.find((c) => c.method === 'pullMessages')!.deadline, null, 'other calls have none');
  standIn.stop();
});

test('a SuperLink that forgot the node (restarted): the node ends with a line saying so and how to rejoin', async () => {
  const standIn = await SuperLinkStandIn.start();
  const log: string[] = [];
  const running = runSuperNode({ superlink: standIn.address, handler: doubling([]), log: (l) => log.push(l), pollInterval: 0.05 });
  const [nodeId] = await standIn.waitForNodes(1, 5000);
  standIn.forgetNodes();
  try {
    await within(running, 20000, 'the node forgotten by the SuperLink');
    assert.unreachable('the node carried on');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`UNAUTHENTICATED \\(Invalid node ID\\): the SuperLink at ${standIn.address} no longer knows node ${nodeId} \\(it was restarted\\); start this node again to rejoin`));
  }
  standIn.stop();
});

test('a stop while the SuperLink cannot be reached ends the node as a stop: in process, and a node process exits 130 on Ctrl-C', async () => {
  const standIn = await SuperLinkStandIn.start();
  const address = standIn.address;
  standIn.stop();
  const stop = new AbortController();
  const log: string[] = [];
  const running = runSuperNode({ superlink: address, handler: doubling([]), log: (l) => log.push(l), signal: stop.signal, retry: { firstDelay: 0.2, giveUpAfter: 60 } });
  await within((async () => { while (!log.length) await new Promise((r) => setTimeout(r, 10)); })(), 20000, 'a retry line');
  stop.abort();
  const summary = await within(running, 20000, 'the stopped node');
  assert.is(summary.nodeId, 0n, 'never joined');
  assert.match(log.at(-1)!, new RegExp(`^stopped while the SuperLink at ${address} cannot be reached \\(RegisterNode: UNAVAILABLE`));

  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-stop-'));
  const node = new NodeProcess(address, path.join(dir, 'state'), ['--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--backend', 'js', '--give-up-after', '60']);
  node.joined.catch(() => {}); // it never joins
  try {
    const deadline = Date.now() + 30000;
    while (!node.output.some((l) => /retrying in/.test(l))) {
      assert.ok(Date.now() < deadline, `no retry line within 30 s:\n${node.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    node.child.kill('SIGINT');
    assert.is(await within(node.exited(), 30000, 'the node process after SIGINT'), 130, node.output.join('\n'));
    assert.ok(node.output.some((l) => /^stopped while the SuperLink at .* cannot be reached/.test(l)), node.output.join('\n'));
  } finally {
    node.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
