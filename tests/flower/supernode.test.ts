/**
 * fedmed's SuperNode loop against the SuperLink stand-in (a test double of
 * Flower's SuperLink, tests/helpers/superlink-standin.ts): a message and its
 * reply cross in chunks, in plaintext and over TLS, a corrupted object is an error reply, a message of
 * an unknown run is skipped, a reply the SuperLink rejects is reported, a
 * SuperLink that is not there is retried then given up on, and stopping
 * deactivates and unregisters.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromNpy, toNpy } from '../../fed/flower/npy.js';
import { postOrder } from '../../fed/flower/objects.js';
import type { FlowerMessage, RecordDict, Reply } from '../../fed/flower/records.js';
import { runSuperNode, type SuperNodeOptions, type SuperNodeSummary } from '../../fed/flower/supernode.js';
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
  return running;
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

test.run();
