/**
 * A Flower SuperNode's protocol loop, as Flower 1.28's own SuperNode runs it
 * against the SuperLink's Fleet API (grpc-rere): register a fresh key and
 * activate; send heartbeats (from a thread of their own, heartbeat.ts); pull one message at a time, fetch its objects
 * (each checked against its id), confirm receipt, hand the message to the
 * handler, push the reply and whichever of its objects the SuperLink asks
 * for; on stop, deactivate and unregister. A SuperLink that cannot be
 * reached is retried with exponential backoff, then given up on with an
 * error; a bad message gets an error reply, never a crash.
 */
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { NodeKey } from './auth.js';
import { startHeartbeats, type Heartbeats } from './heartbeat.js';
import { FleetClient, FleetError, type FleetMethodName, type FleetRequestInit, type FleetResponse } from './fleet.js';
import { decodeMessage, encodeMessage, metadataOf, metadataProto, ObjectError, postOrder, short, MAX_CHUNK_SIZE } from './objects.js';
import { MessageSchema, type Message as MessageProto, type ObjectTree } from './proto/flwr/proto/message_pb.js';
import type { FlowerMessage, Reply } from './records.js';

/** The SuperLink's own node id: every reply goes to it. */
export const SUPERLINK_NODE_ID = 1n;

/** Flower's ErrorCode for a message the node could not even read. */
const MESSAGE_UNREADABLE = 2;

export interface RetryPolicy {
  /** Seconds before the first retry; each later wait doubles, up to maxDelay. */
  firstDelay: number;
  maxDelay: number;
  /** No retry starts later than this many seconds after the first attempt. */
  giveUpAfter: number;
}

export interface SuperNodeOptions {
  /** HOST:PORT of the SuperLink's Fleet API. */
  superlink: string;
  /** Answers one message; a thrown error becomes an error reply. */
  handler: (message: FlowerMessage) => Promise<Reply>;
  log: (line: string) => void;
  /** Abort to leave the federation (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  /** Seconds the SuperLink may wait between heartbeats (Flower: 30, within [10, 1800]). */
  heartbeatInterval?: number;
  /** Seconds between polls while nothing is queued (Flower: 3). */
  pollInterval?: number;
  /** Reaching the SuperLink (default: waits of 1 s doubling to 30 s, for up to 2 minutes). */
  retry?: Partial<RetryPolicy>;
  /** Largest ArrayChunk of a reply. */
  chunkSize?: number;
  rootCertificates?: Uint8Array;
}

/** What a session with the SuperLink did, for the caller's last line. */
export interface SuperNodeSummary {
  nodeId: bigint;
  messages: number;
}

/** Errors gRPC reports when the SuperLink is not there (yet, or any more). */
const UNREACHABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

export async function runSuperNode(options: SuperNodeOptions): Promise<SuperNodeSummary> {
  const node = new SuperNodeSession(options);
  try {
    return await node.run();
  } finally {
    await node.close();
  }
}

class SuperNodeSession {
  private readonly key = NodeKey.generate();
  private readonly fleet: FleetClient;
  private readonly heartbeatInterval: number;
  private readonly retry: RetryPolicy;
  private readonly knownRuns = new Set<bigint>();
  private nodeId = 0n;
  private heartbeats: Heartbeats | null = null;
  private readonly summary: SuperNodeSummary = { nodeId: 0n, messages: 0 };

  constructor(private readonly o: SuperNodeOptions) {
    this.fleet = new FleetClient(o.superlink, this.key, { rootCertificates: o.rootCertificates });
    this.heartbeatInterval = o.heartbeatInterval ?? 30;
    this.retry = { firstDelay: 1, maxDelay: 30, giveUpAfter: 120, ...o.retry };
  }

  async run(): Promise<SuperNodeSummary> {
    const { log, signal } = this.o;
    this.nodeId = (await this.call('registerNode', { publicKey: this.key.publicPem })).nodeId;
    const activated = await this.call('activateNode', { publicKey: this.key.publicPem, heartbeatInterval: this.heartbeatInterval });
    if (activated.nodeId !== this.nodeId) throw new Error(`ActivateNode gave node id ${activated.nodeId}, RegisterNode ${this.nodeId}`);
    this.summary.nodeId = this.nodeId;
    log(`joined the federation at ${this.o.superlink} as node ${this.nodeId}`);
    await this.call('sendNodeHeartbeat', { node: { nodeId: this.nodeId }, heartbeatInterval: this.heartbeatInterval });
    this.heartbeats = startHeartbeats(
      { superlink: this.o.superlink, privateKeyPem: this.key.privatePem(), rootCertificates: this.o.rootCertificates, nodeId: this.nodeId, interval: this.heartbeatInterval },
      log,
    );
    try {
      while (!signal?.aborted) {
        const pulled = await this.call('pullMessages', { node: { nodeId: this.nodeId } });
        const [proto] = pulled.messagesList;
        const tree = pulled.messageObjectTrees[0];
        if (!proto || !tree) {
          await sleep((this.o.pollInterval ?? 3) * 1000, signal);
          continue;
        }
        await abortable(this.serve(proto, tree), signal);
      }
    } finally {
      await this.stopHeartbeats();
    }
    await this.call('deactivateNode', { nodeId: this.nodeId });
    await this.call('unregisterNode', { nodeId: this.nodeId });
    log(`left the federation (node ${this.nodeId}, ${this.summary.messages} messages answered)`);
    return this.summary;
  }

  async close(): Promise<void> {
    await this.stopHeartbeats();
    this.fleet.close();
  }

  private async stopHeartbeats(): Promise<void> {
    await this.heartbeats?.stop();
    this.heartbeats = null;
  }

  /** One message: its objects, receipt, the handler's reply, and the reply's objects. */
  private async serve(proto: MessageProto, tree: ObjectTree): Promise<void> {
    const { log } = this.o;
    const metadata = metadataOf(proto.metadata);
    const instruction: FlowerMessage = { metadata: { ...metadata, messageId: tree.objectId } };
    const where = `${metadata.messageType} message ${short(tree.objectId)}`;
    if (!(await this.runKnown(metadata.runId, where))) return;
    const started = performance.now();
    let message: FlowerMessage | ObjectError;
    try {
      message = decodeMessage(metadata, tree.objectId, await this.pullObjects(metadata.runId, tree)); // every object's id checked here
    } catch (e) {
      if (!(e instanceof ObjectError)) throw e;
      message = e;
    }
    await this.call('confirmMessageReceived', { node: { nodeId: this.nodeId }, runId: metadata.runId, messageObjectId: tree.objectId });
    let reply: Reply;
    if (message instanceof ObjectError) {
      log(`${where}: unreadable, answered with an error: ${message.message}`);
      reply = { error: { code: MESSAGE_UNREADABLE, reason: message.message } };
    } else {
      reply = await this.o.handler(message).catch((e: unknown) => {
        log(`${where}: failed: ${(e as Error).message}`);
        return { error: { code: MESSAGE_UNREADABLE, reason: (e as Error).message } };
      });
    }
    await this.pushReply(instruction, reply, (performance.now() - started) / 1000);
    this.summary.messages++;
  }

  /** Whether the SuperLink knows the message's run (asked once per run, as Flower's node does). */
  private async runKnown(runId: bigint, where: string): Promise<boolean> {
    if (this.knownRuns.has(runId)) return true;
    try {
      await this.call('getRun', { node: { nodeId: this.nodeId }, runId });
    } catch (e) {
      if (!(e instanceof FleetError) || UNREACHABLE.has(e.code)) throw e;
      this.o.log(`${where} is for run ${runId}, which the SuperLink does not know (${e.message}); skipped`);
      return false;
    }
    this.knownRuns.add(runId);
    return true;
  }

  private async pullObjects(runId: bigint, tree: ObjectTree): Promise<Map<string, Uint8Array>> {
    const objects = new Map<string, Uint8Array>();
    await inParallel(postOrder(tree), async (id) => void objects.set(id, await this.pullObject(runId, id)));
    return objects;
  }

  private async pullObject(runId: bigint, id: string): Promise<Uint8Array> {
    for (let wait = 0.05; ; wait = Math.min(wait * 2, 2)) {
      const pulled = await this.call('pullObject', { node: { nodeId: this.nodeId }, runId, objectId: id });
      if (!pulled.objectFound) throw new ObjectError(`object ${short(id)}: the SuperLink has no such object`);
      if (pulled.objectAvailable) return pulled.objectContent;
      await sleep(wait * 1000, this.o.signal);
    }
  }

  private async pushReply(instruction: FlowerMessage, reply: Reply, runtime: number): Promise<void> {
    const ins = instruction.metadata;
    const createdAt = Date.now() / 1000;
    const message: FlowerMessage = {
      metadata: {
        runId: ins.runId,
        messageId: '',
        srcNodeId: this.nodeId,
        dstNodeId: SUPERLINK_NODE_ID,
        replyToMessageId: ins.messageId,
        groupId: ins.groupId,
        // A reply lives no longer than its instruction (the SuperLink checks).
        ttl: ins.createdAt + ins.ttl - createdAt,
        messageType: ins.messageType,
        createdAt,
      },
      ...reply,
    };
    const encoded = encodeMessage(message, this.o.chunkSize ?? MAX_CHUNK_SIZE);
    const pushed = create(MessageSchema, {
      metadata: metadataProto({ ...message.metadata, messageId: encoded.id }),
      ...('content' in reply ? { content: {} } : { error: { code: BigInt(reply.error.code), reason: reply.error.reason } }),
    });
    const response = await this.call('pushMessages', {
      node: { nodeId: this.nodeId },
      messagesList: [pushed],
      messageObjectTrees: [encoded.tree],
      clientappRuntimeList: [runtime],
    });
    if (!(encoded.id in response.results)) {
      this.o.log(`the SuperLink rejected the reply to ${ins.messageType} message ${short(ins.messageId)} (results ${JSON.stringify(response.results)}); the instruction may have expired`);
      return;
    }
    const wanted = new Set(response.objectsToPush);
    // Children before parents, as Flower's node pushes: level by level from the leaves, each level in parallel.
    for (const level of levelsFromLeaves(encoded.tree)) {
      const stored = await inParallel(level.filter((id) => wanted.has(id)), async (id) => {
        const reply = await this.call('pushObject', { node: { nodeId: this.nodeId }, runId: ins.runId, objectId: id, objectContent: encoded.objects.get(id)! });
        return reply.stored ? null : id;
      });
      const refused = stored.find((id) => id !== null);
      if (refused) {
        this.o.log(`the SuperLink did not store object ${short(refused)} of the reply to ${ins.messageType} message ${short(ins.messageId)}; that reply is lost`);
        return;
      }
    }
  }

  /** A Fleet call, retried with backoff while the SuperLink cannot be reached. */
  private async call<N extends FleetMethodName>(name: N, request: FleetRequestInit<N>): Promise<FleetResponse<N>> {
    const { firstDelay, maxDelay, giveUpAfter } = this.retry;
    const started = performance.now();
    let delay = firstDelay;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.fleet.call(name, request);
      } catch (e) {
        if (!(e instanceof FleetError) || !UNREACHABLE.has(e.code)) throw e;
        const elapsed = (performance.now() - started) / 1000;
        if (elapsed + delay > giveUpAfter || this.o.signal?.aborted) {
          throw new Error(`the SuperLink at ${this.o.superlink} cannot be reached (${e.message}) after ${attempt} attempt${attempt === 1 ? '' : 's'} over ${elapsed.toFixed(1)} s`);
        }
        this.o.log(`the SuperLink at ${this.o.superlink} cannot be reached (${grpc.status[e.code]}); retrying in ${delay} s (attempt ${attempt + 1})`);
        await sleep(delay * 1000, this.o.signal);
        delay = Math.min(delay * 2, maxDelay);
      }
    }
  }
}

/**
 * Objects moved at once. Each is one signed call; Flower's own node moves
 * two at a time, and at one or two a reply of 84 objects spends more time in
 * round trips than a small model's local epochs take to train.
 */
const PARALLEL_OBJECTS = 8;

/** `work` on every item, at most PARALLEL_OBJECTS at a time; the results in the items' order. */
async function inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      results[k] = await work(items[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_OBJECTS, items.length) }, worker));
  return results;
}

/** A tree's ids grouped by height (leaves first), each id once: every level's children are in earlier levels. */
function levelsFromLeaves(tree: ObjectTree): string[][] {
  const height = new Map<string, number>();
  const visit = (t: ObjectTree): number => {
    const h = t.children.length ? 1 + Math.max(...t.children.map(visit)) : 0;
    height.set(t.objectId, Math.max(height.get(t.objectId) ?? 0, h));
    return h;
  };
  visit(tree);
  const levels: string[][] = [];
  for (const [id, h] of height) (levels[h] ??= []).push(id);
  return levels;
}

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** `work`, or an early return when `signal` aborts (the work is left to the process's exit). */
function abortable(work: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return work;
  return Promise.race([work, new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))]);
}
