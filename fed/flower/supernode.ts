/**
 * A Flower SuperNode's protocol loop, as Flower 1.28's own SuperNode runs it
 * against the SuperLink's Fleet API (grpc-rere): register a fresh key and
 * activate; send heartbeats (from a thread of their own, heartbeat.ts); pull one message at a time, fetch its objects
 * (each checked against its id), confirm receipt, hand the message to the
 * handler, push the reply and whichever of its objects the SuperLink asks
 * for; on stop, deactivate and unregister. A SuperLink that cannot be
 * reached is retried with exponential backoff, then given up on with an
 * error (a stop meanwhile ends the node as a stop); a bad message gets an
 * error reply, never a crash, and so does one whose objects never come or
 * are too large (with Flower's limits); a message without metadata, which
 * cannot be answered, is logged and skipped.
 */
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { NodeKey } from './auth.js';
import { HEARTBEAT_CALL_TIMEOUT, startHeartbeats, type Heartbeats } from './heartbeat.js';
import { FleetClient, FleetError, GRPC_MAX_MESSAGE_LENGTH, type FleetMethodName, type FleetRequestInit, type FleetResponse } from './fleet.js';
import { decodeMessage, encodeMessage, metadataOf, metadataProto, ObjectError, postOrder, short, MAX_CHUNK_SIZE } from './objects.js';
import { MessageSchema, type Message as MessageProto, type ObjectTree } from './proto/flwr/proto/message_pb.js';
import { CLIENT_APP_RAISED_EXCEPTION, type FlowerMessage, type MessageMetadata, type Reply } from './records.js';

/** The SuperLink's own node id: every reply goes to it. */
export const SUPERLINK_NODE_ID = 1n;

/** What the node takes from the SuperLink; the defaults are Flower 1.28's own SuperNode's. */
export interface TransferLimits {
  /** Largest gRPC message (GRPC_MAX_MESSAGE_LENGTH). */
  maxMessageBytes: number;
  /** Largest total of a message's arrays once assembled from their chunks, which travel in many gRPC messages and may be named many times. */
  maxArrayBytes: number;
  /** Tries to pull an object the SuperLink has not got yet (PULL_MAX_TRIES_PER_OBJECT). */
  pullTries: number;
  /** Seconds to wait for a message's objects (PULL_MAX_TIME). */
  pullSeconds: number;
}

export const FLOWER_LIMITS: TransferLimits = { maxMessageBytes: GRPC_MAX_MESSAGE_LENGTH, maxArrayBytes: GRPC_MAX_MESSAGE_LENGTH, pullTries: 500, pullSeconds: 7200 };

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
  /** Default: FLOWER_LIMITS. */
  limits?: Partial<TransferLimits>;
  rootCertificates?: Uint8Array;
}

/** What a session with the SuperLink did, for the caller's last line. */
export interface SuperNodeSummary {
  nodeId: bigint;
  messages: number;
}

/** Errors gRPC reports when the SuperLink is not there (yet, or any more). */
const UNREACHABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

/** A stop (SIGINT, SIGTERM) that came while the SuperLink could not be reached: the node ends without it. */
class StoppedUnreachable extends Error {
  override name = 'StoppedUnreachable';
}

/** One message's objects being pulled: when it began, whether the wait was logged, whether the pull ended. */
interface MessagePull {
  where: string;
  started: number;
  waitLogged: boolean;
  ended: boolean;
}

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
  private readonly limits: TransferLimits;
  private readonly knownRuns = new Set<bigint>();
  private nodeId = 0n;
  private heartbeats: Heartbeats | null = null;
  private readonly summary: SuperNodeSummary = { nodeId: 0n, messages: 0 };

  constructor(private readonly o: SuperNodeOptions) {
    this.limits = { ...FLOWER_LIMITS, ...o.limits };
    this.fleet = new FleetClient(o.superlink, this.key, { rootCertificates: o.rootCertificates, maxMessageBytes: this.limits.maxMessageBytes });
    this.heartbeatInterval = o.heartbeatInterval ?? 30;
    this.retry = { firstDelay: 1, maxDelay: 30, giveUpAfter: 120, ...o.retry };
  }

  async run(): Promise<SuperNodeSummary> {
    try {
      await this.join();
      await this.serveUntilStopped();
      await this.call('deactivateNode', { nodeId: this.nodeId });
      await this.call('unregisterNode', { nodeId: this.nodeId });
      this.o.log(`left the federation (node ${this.nodeId}, ${this.summary.messages} messages answered)`);
    } catch (e) {
      if (!(e instanceof StoppedUnreachable)) throw e;
      const left = this.nodeId ? `; node ${this.nodeId} left without telling it (it takes the node for offline once the heartbeats stop)` : '';
      this.o.log(`stopped while ${e.message}${left}`);
    }
    return this.summary;
  }

  private async join(): Promise<void> {
    this.nodeId = (await this.call('registerNode', { publicKey: this.key.publicPem })).nodeId;
    const activated = await this.call('activateNode', { publicKey: this.key.publicPem, heartbeatInterval: this.heartbeatInterval });
    if (activated.nodeId !== this.nodeId) throw new Error(`ActivateNode gave node id ${activated.nodeId}, RegisterNode ${this.nodeId}`);
    this.summary.nodeId = this.nodeId;
    this.o.log(`joined the federation at ${this.o.superlink} as node ${this.nodeId}`);
    await this.call('sendNodeHeartbeat', { node: { nodeId: this.nodeId }, heartbeatInterval: this.heartbeatInterval }, HEARTBEAT_CALL_TIMEOUT);
  }

  /** Pulls and answers messages until the signal aborts. */
  private async serveUntilStopped(): Promise<void> {
    const { log, signal } = this.o;
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
  }

  async close(): Promise<void> {
    await this.stopHeartbeats();
    this.fleet.close();
  }

  private async stopHeartbeats(): Promise<void> {
    await this.heartbeats?.stop();
    this.heartbeats = null;
  }

  /** One message: skipped where it cannot be answered (no metadata, a run unknown or no longer running), else answered. */
  private async serve(proto: MessageProto, tree: ObjectTree): Promise<void> {
    const { log } = this.o;
    if (!proto.metadata) {
      // No run to confirm it for, and no reply could be addressed or accepted.
      log(`message ${short(tree.objectId)} came without metadata: skipped, neither confirmed nor answered`);
      return;
    }
    const metadata = metadataOf(proto.metadata);
    const where = `${metadata.messageType} message ${short(tree.objectId)}`;
    if (!(await this.runKnown(metadata.runId, where))) return;
    try {
      await this.answer(metadata, tree, where);
    } catch (e) {
      if (!(e instanceof FleetError) || e.code !== grpc.status.PERMISSION_DENIED) throw e;
      // The SuperLink refuses calls about a run that is no longer running (`flwr stop`); Flower's SuperNode then ignores the message too.
      log(`${where}: skipped, its run ${metadata.runId} is no longer running (${e.message})`);
    }
  }

  /** Pulls the message's objects, confirms it, has the handler answer it, and pushes the reply. */
  private async answer(metadata: MessageMetadata, tree: ObjectTree, where: string): Promise<void> {
    const { log } = this.o;
    const instruction: FlowerMessage = { metadata: { ...metadata, messageId: tree.objectId } };
    const started = performance.now();
    let message: FlowerMessage | ObjectError;
    try {
      message = decodeMessage(metadata, tree.objectId, await this.pullObjects(metadata.runId, tree, where), this.limits.maxArrayBytes); // every object's id checked here
    } catch (e) {
      if (!(e instanceof ObjectError)) throw e;
      message = e;
    }
    await this.call('confirmMessageReceived', { node: { nodeId: this.nodeId }, runId: metadata.runId, messageObjectId: tree.objectId });
    let reply: Reply;
    if (message instanceof ObjectError) {
      log(`${where}: unreadable, answered with an error: ${message.message}`);
      reply = { error: { code: CLIENT_APP_RAISED_EXCEPTION, reason: message.message } };
    } else {
      reply = await this.o.handler(message).catch((e: unknown) => {
        log(`${where}: failed: ${(e as Error).message}`);
        return { error: { code: CLIENT_APP_RAISED_EXCEPTION, reason: (e as Error).message } };
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

  private async pullObjects(runId: bigint, tree: ObjectTree, where: string): Promise<Map<string, Uint8Array>> {
    const objects = new Map<string, Uint8Array>();
    const pull: MessagePull = { where, started: performance.now(), waitLogged: false, ended: false };
    try {
      await inParallel(postOrder(tree), async (id) => void objects.set(id, await this.pullObject(runId, id, pull)));
    } finally {
      pull.ended = true; // one object failed: the others stop too
    }
    return objects;
  }

  /**
   * One object, retried while the SuperLink has not got it yet (the
   * ServerApp may still be pushing it), up to Flower's limits; an object
   * too large for this node is the message's error, not the node's.
   */
  private async pullObject(runId: bigint, id: string, pull: MessagePull): Promise<Uint8Array> {
    const { pullTries, pullSeconds } = this.limits;
    for (let tries = 1, wait = 0.05; ; tries++, wait = Math.min(wait * 2, 2)) {
      // Nobody waits for this error: the message's pull has already failed, or the node is leaving.
      if (pull.ended || this.o.signal?.aborted) throw new Error(`the pull of object ${short(id)} was abandoned`);
      const pulled = await this.call('pullObject', { node: { nodeId: this.nodeId }, runId, objectId: id }).catch((e: unknown) => {
        if (e instanceof FleetError && e.code === grpc.status.RESOURCE_EXHAUSTED) throw new ObjectError(`object ${short(id)} is larger than this node takes (${e.details})`);
        throw e;
      });
      if (!pulled.objectFound) throw new ObjectError(`object ${short(id)}: the SuperLink has no such object`);
      if (pulled.objectAvailable) return pulled.objectContent;
      const waited = (performance.now() - pull.started) / 1000;
      if (tries >= pullTries || waited >= pullSeconds) {
        throw new ObjectError(`object ${short(id)} was still not available after ${tries} tries over ${waited.toFixed(1)} s (the ServerApp may have stopped while sending it)`);
      }
      if (!pull.waitLogged) {
        pull.waitLogged = true;
        this.o.log(`${pull.where}: waiting for object ${short(id)}, which the SuperLink has not got yet (giving up after ${pullTries} tries or ${pullSeconds} s)`);
      }
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

  /**
   * A Fleet call, retried with backoff while the SuperLink cannot be
   * reached, and given up on as a stop once the signal has aborted.
   */
  private async call<N extends FleetMethodName>(name: N, request: FleetRequestInit<N>, deadlineSeconds?: number): Promise<FleetResponse<N>> {
    const { firstDelay, maxDelay, giveUpAfter } = this.retry;
    const started = performance.now();
    let delay = firstDelay;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.fleet.call(name, request, deadlineSeconds);
      } catch (e) {
        if (!(e instanceof FleetError)) throw e;
        if (!UNREACHABLE.has(e.code)) throw this.forgotten(e) ?? e;
        const unreachable = `the SuperLink at ${this.o.superlink} cannot be reached (${e.message})`;
        if (this.o.signal?.aborted) throw new StoppedUnreachable(unreachable);
        const elapsed = (performance.now() - started) / 1000;
        if (elapsed + delay > giveUpAfter) throw new Error(`${unreachable} after ${attempt} attempt${attempt === 1 ? '' : 's'} over ${elapsed.toFixed(1)} s`);
        this.o.log(`the SuperLink at ${this.o.superlink} cannot be reached (${grpc.status[e.code]}); retrying in ${delay} s (attempt ${attempt + 1})`);
        await sleep(delay * 1000, this.o.signal);
        delay = Math.min(delay * 2, maxDelay);
      }
    }
  }

  /**
   * 'Invalid node ID' once joined: the SuperLink has forgotten this node (a
   * restart with its state in memory). Flower 1.28's own SuperNode ends
   * there too, without registering again; so does this node, saying how to
   * rejoin.
   */
  private forgotten(e: FleetError): Error | null {
    if (!this.nodeId || e.code !== grpc.status.UNAUTHENTICATED || e.details !== 'Invalid node ID') return null;
    return new Error(`${e.message}: the SuperLink at ${this.o.superlink} no longer knows node ${this.nodeId} (it was restarted); start this node again to rejoin, its --state is kept`);
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
