/**
 * A TEST DOUBLE of Flower's SuperLink: the server side of the Fleet API
 * (grpc-rere), in TypeScript, so that `fedmed node` processes can be driven
 * through whole federated rounds in CI without Python. It is not Flower. It
 * behaves as the real Flower 1.28 SuperLink does where
 * tests/fixtures/flower/README.md records it:
 * - every call is authenticated (key, signature, a timestamp within
 *   (-5 s, 305 s) of the server's clock, and the node id that belongs to the
 *   key on all calls but RegisterNode and ActivateNode), with the real
 *   status codes and details;
 * - a node is online for 2 x its heartbeat interval after activation or a
 *   heartbeat, so a killed node's key stays "online" for a while;
 * - at most one message per PullMessages, an empty response when idle;
 * - objects are pulled by id, dropped after ConfirmMessageReceived; a reply
 *   is validated as the SuperLink validates it (a bad one gets results
 *   {"None": 0}), then only the objects it lacks are asked for, and
 *   PushObject refuses unannounced ids and bytes that do not hash to their
 *   id.
 * The test side (`send`, `reply`) plays the ServerApp; its hooks
 * (`sendObjects`, `intercept`, `corruptObject`, `forgetNodes`) play a faulty
 * or hostile one, or a SuperLink restarted with its state in memory.
 */
import * as grpc from '@grpc/grpc-js';
import { create, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { parseTimestamp, PUBLIC_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, TIMESTAMP_WINDOW, verifyHeaders } from '../../fed/flower/auth.js';
import { fleetServiceDefinition, GRPC_MAX_MESSAGE_LENGTH, type FleetMethodName, type FleetRequest } from '../../fed/flower/fleet.js';
import { decodeMessage, encodeMessage, metadataOf, metadataProto, ObjectError, objectId, parseObject, postOrder, type EncodedObjects } from '../../fed/flower/objects.js';
import { Fleet } from '../../fed/flower/proto/flwr/proto/fleet_pb.js';
import { MessageSchema, type ObjectTree } from '../../fed/flower/proto/flwr/proto/message_pb.js';
import type { FlowerMessage, MessageMetadata, RecordDict } from '../../fed/flower/records.js';

interface NodeRecord {
  publicKey: string;
  status: 'registered' | 'online' | 'offline' | 'unregistered';
  heartbeatInterval: number;
  onlineUntil: number;
  /** Protobuf bytes of requests from it and responses to it. */
  bytesIn: number;
  bytesOut: number;
}

interface Instruction {
  message: FlowerMessage;
  tree: ObjectTree;
  delivered: boolean;
  confirmed: boolean;
}

interface PendingReply {
  metadata: MessageMetadata;
  tree: ObjectTree;
  missing: Set<string>;
}

const SUPERLINK = 1n;

class StatusError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

export class SuperLinkStandIn {
  readonly nodes = new Map<bigint, NodeRecord>();
  private readonly keys = new Map<string, bigint>();
  private readonly runs = new Set<bigint>();
  private readonly finishedRuns = new Set<bigint>();
  private readonly instructions = new Map<string, Instruction>();
  private readonly objects = new Map<string, Uint8Array>();
  private readonly pending = new Map<string, PendingReply>();
  private readonly replies = new Map<string, FlowerMessage>();
  private readonly waiters = new Map<string, (m: FlowerMessage) => void>();
  /** Every call, for tests that check what a node did: method, node id, when (ms since the epoch), and its deadline in seconds (null: none). */
  readonly calls: { method: string; nodeId: bigint; at: number; deadline: number | null }[] = [];
  private readonly intercepts = new Map<FleetMethodName, (request: any, nodeId: bigint) => unknown>();
  address = '';

  private constructor(private readonly server: grpc.Server) {}

  /** Listens on 127.0.0.1 (a free port), in plaintext or, given a key and certificate (PEM), over TLS. */
  static async start(tls?: { key: Uint8Array; cert: Uint8Array }): Promise<SuperLinkStandIn> {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    const standIn = new SuperLinkStandIn(server);
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const method of Fleet.methods) handlers[method.name] = standIn.handler(method.localName as FleetMethodName, method.input, method.output);
    server.addService(fleetServiceDefinition(), handlers);
    const credentials = tls ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }]) : grpc.ServerCredentials.createInsecure();
    const bound = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (e, p) => (e ? reject(e) : resolve(p))));
    standIn.address = `127.0.0.1:${bound}`;
    return standIn;
  }

  /** A run in state RUNNING, as `flwr run` makes one. */
  createRun(): bigint {
    const runId = randomId();
    this.runs.add(runId);
    return runId;
  }

  /** Ends a run, as `flwr stop` does: calls about it are refused with PERMISSION_DENIED from then on. */
  stopRun(runId: bigint): void {
    this.finishedRuns.add(runId);
  }

  /** Ids of the nodes the SuperLink considers online now. */
  onlineNodes(): bigint[] {
    const now = Date.now() / 1000;
    return [...this.nodes].filter(([, n]) => n.status === 'online' && n.onlineUntil > now).map(([id]) => id);
  }

  async waitForNodes(count: number, timeoutMs: number, except: readonly bigint[] = []): Promise<bigint[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const online = this.onlineNodes().filter((id) => !except.includes(id));
      if (online.length >= count) return online;
      if (Date.now() > deadline) throw new Error(`stand-in: ${online.length} of ${count} nodes online after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Queues an instruction for `nodeId`, as a ServerApp's grid does; returns its message id. */
  send(nodeId: bigint, runId: bigint, messageType: string, content: RecordDict, options: { ttl?: number; chunkSize?: number } = {}): string {
    const metadata = instructionMetadata(nodeId, runId, messageType, options.ttl);
    return this.sendObjects(metadata, encodeMessage({ metadata, content }, options.chunkSize));
  }

  /**
   * Test hook: queues an instruction made of the objects given, as they
   * are (a test builds malformed ones, as a buggy or hostile ServerApp
   * would); returns its message id.
   */
  sendObjects(metadata: MessageMetadata, encoded: EncodedObjects): string {
    for (const [id, bytes] of encoded.objects) this.objects.set(id, bytes);
    this.instructions.set(encoded.id, { message: { metadata: { ...metadata, messageId: encoded.id } }, tree: encoded.tree, delivered: false, confirmed: false });
    return encoded.id;
  }

  /**
   * Test hook: `answer` answers `method` in place of the stand-in whenever
   * it returns a response (undefined: the usual answer); null removes it.
   */
  intercept<N extends FleetMethodName>(method: N, answer: ((request: FleetRequest<N>, nodeId: bigint) => unknown) | null): void {
    if (answer) this.intercepts.set(method, answer);
    else this.intercepts.delete(method);
  }

  /** Test hook: forgets every node, as a SuperLink restarted with its state in memory does. */
  forgetNodes(): void {
    this.nodes.clear();
    this.keys.clear();
  }

  /** The reply to instruction `messageId` once all its objects are in, or null after `timeoutMs`. */
  reply(messageId: string, timeoutMs: number): Promise<FlowerMessage | null> {
    const done = this.replies.get(messageId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(messageId);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(messageId, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  /** Test hook: replace an object's bytes, as a fault on the way would. */
  corruptObject(id: string): void {
    const bytes = this.objects.get(id)!.slice();
    bytes[bytes.length - 1]! ^= 0xff;
    this.objects.set(id, bytes);
  }

  instructionTree(messageId: string): ObjectTree {
    return this.instructions.get(messageId)!.tree;
  }

  stop(): void {
    this.server.forceShutdown();
  }

  private handler(name: FleetMethodName, input: DescMessage, output: DescMessage): grpc.handleUnaryCall<any, any> {
    return (call, callback) => {
      try {
        const nodeId = this.authenticate(name, call.metadata, call.request);
        const deadline = call.getDeadline();
        this.calls.push({ method: name, nodeId, at: Date.now(), deadline: Number.isFinite(+deadline) ? (+deadline - Date.now()) / 1000 : null });
        const response = create(output, (this.intercepts.get(name)?.(call.request, nodeId) ?? this.serve(name, call.request, nodeId)) as never);
        const node = this.nodes.get(nodeId);
        if (node) {
          node.bytesIn += toBinary(input, call.request).length;
          node.bytesOut += toBinary(output, response).length;
        }
        callback(null, response);
      } catch (e) {
        if (e instanceof StatusError) callback({ code: e.code, details: e.details });
        else callback({ code: grpc.status.UNKNOWN, details: 'Error in service handler!' });
      }
    };
  }

  /** The checks the real SuperLink's auth interceptor makes, in its order; returns the caller's node id. */
  private authenticate(name: FleetMethodName, metadata: grpc.Metadata, request: any): bigint {
    const [key, timestamp, signature] = [metadata.get(PUBLIC_KEY_HEADER)[0], metadata.get(TIMESTAMP_HEADER)[0], metadata.get(SIGNATURE_HEADER)[0]];
    if (!key || !timestamp || !signature) throw new StatusError(grpc.status.UNAUTHENTICATED, 'Missing authentication metadata');
    const headers = { [PUBLIC_KEY_HEADER]: key as Buffer, [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signature as Buffer };
    if (!verifyHeaders(headers)) throw new StatusError(grpc.status.UNAUTHENTICATED, 'Invalid signature');
    const at = parseTimestamp(String(timestamp));
    if (at === null) throw new StatusError(grpc.status.UNKNOWN, 'Error in service handler!');
    const age = (Date.now() - at) / 1000;
    if (!(age > TIMESTAMP_WINDOW.min && age < TIMESTAMP_WINDOW.max)) throw new StatusError(grpc.status.UNAUTHENTICATED, 'Invalid timestamp');
    const own = this.keys.get((key as Buffer).toString('utf8')) ?? 0n;
    if (name === 'registerNode' || name === 'activateNode') return own;
    const claimed: bigint = request.node?.nodeId ?? request.nodeId ?? 0n;
    if (own === 0n || claimed !== own) throw new StatusError(grpc.status.UNAUTHENTICATED, 'Invalid node ID');
    return own;
  }

  private serve<N extends FleetMethodName>(name: N, request: FleetRequest<N>, nodeId: bigint): unknown {
    const req = request as any;
    const now = Date.now() / 1000;
    const runId: bigint | undefined = name === 'pushMessages' ? req.messagesList[0]?.metadata?.runId : req.runId;
    if (runId !== undefined && this.finishedRuns.has(runId)) throw new StatusError(grpc.status.PERMISSION_DENIED, 'Run is finished. Stopped by user.');
    switch (name) {
      case 'registerNode': {
        const pem = Buffer.from(req.publicKey).toString('utf8');
        if (this.keys.has(pem)) throw new StatusError(grpc.status.FAILED_PRECONDITION, 'Public key already in use');
        const id = randomId();
        this.keys.set(pem, id);
        this.nodes.set(id, { publicKey: pem, status: 'registered', heartbeatInterval: 0, onlineUntil: 0, bytesIn: 0, bytesOut: 0 });
        return { nodeId: id };
      }
      case 'activateNode': {
        const node = this.nodes.get(nodeId);
        checkInterval(req.heartbeatInterval);
        if (!node || (node.status !== 'registered' && node.status !== 'offline') || node.onlineUntil > now) {
          throw new StatusError(grpc.status.FAILED_PRECONDITION, 'Node cannot be activated');
        }
        Object.assign(node, { status: 'online', heartbeatInterval: req.heartbeatInterval, onlineUntil: now + 2 * req.heartbeatInterval });
        return { nodeId };
      }
      case 'sendNodeHeartbeat': {
        checkInterval(req.heartbeatInterval);
        const node = this.nodes.get(nodeId)!;
        if (node.status === 'online') node.onlineUntil = now + 2 * req.heartbeatInterval;
        return { success: true };
      }
      case 'deactivateNode':
        Object.assign(this.nodes.get(nodeId)!, { status: 'offline', onlineUntil: 0 });
        return {};
      case 'unregisterNode': {
        const node = this.nodes.get(nodeId)!;
        Object.assign(node, { status: 'unregistered', onlineUntil: 0 });
        this.keys.delete(node.publicKey);
        return {};
      }
      case 'getRun':
        if (!this.runs.has(req.runId)) throw new StatusError(grpc.status.NOT_FOUND, 'Run ID not found');
        return { run: { runId: req.runId, status: { status: 'running' } } };
      case 'pullMessages': {
        const next = [...this.instructions.values()].find((i) => !i.delivered && i.message.metadata.dstNodeId === nodeId);
        if (!next) return {};
        next.delivered = true;
        return {
          messagesList: [create(MessageSchema, { metadata: metadataProto(next.message.metadata), content: {} })],
          messageObjectTrees: [next.tree],
        };
      }
      case 'pullObject': {
        const bytes = this.objects.get(req.objectId);
        return bytes ? { objectFound: true, objectAvailable: true, objectContent: bytes } : { objectFound: false };
      }
      case 'confirmMessageReceived': {
        const instruction = this.instructions.get(req.messageObjectId);
        if (instruction) {
          instruction.confirmed = true;
          for (const id of postOrder(instruction.tree)) if (!this.usedElsewhere(id)) this.objects.delete(id);
        }
        return {};
      }
      case 'pushMessages':
        return this.acceptReply(req, nodeId, now);
      case 'pushObject':
        return { stored: this.storeObject(req.objectId, req.objectContent) };
      default:
        throw new StatusError(grpc.status.UNIMPLEMENTED, `${name} is not part of the stand-in`);
    }
  }

  /** Whether an instruction not yet confirmed still needs object `id` (objects are shared by id). */
  private usedElsewhere(id: string): boolean {
    return [...this.instructions.values()].some((i) => !i.confirmed && postOrder(i.tree).includes(id));
  }

  /** PushMessages: the SuperLink's reply checks; a failure still answers OK, with results {"None": 0}. */
  private acceptReply(req: FleetRequest<'pushMessages'>, nodeId: bigint, now: number): unknown {
    const [proto] = req.messagesList;
    const tree = req.messageObjectTrees[0];
    const rejected = { results: { None: 0 } };
    if (!proto || !tree || !proto.metadata) return rejected;
    const m = metadataOf(proto.metadata);
    const instruction = this.instructions.get(m.replyToMessageId);
    const ins = instruction?.message.metadata;
    const valid = this.runs.has(m.runId) && m.messageId !== '' && m.messageId === tree.objectId && m.createdAt >= 1740700800 && m.ttl > 0
      && m.createdAt + m.ttl > now && m.srcNodeId === nodeId && m.srcNodeId !== 0n && m.srcNodeId !== SUPERLINK && m.dstNodeId === SUPERLINK
      && m.messageType !== '' && (proto.content !== undefined) !== (proto.error !== undefined)
      && ins !== undefined && ins.dstNodeId === m.srcNodeId && ins.runId === m.runId && ins.createdAt + ins.ttl > now
      && m.ttl <= ins.createdAt + ins.ttl - m.createdAt + 0.1;
    if (!valid) return rejected;
    const ids = postOrder(tree);
    const missing = new Set(ids.filter((id) => !this.objects.has(id)));
    this.pending.set(m.messageId, { metadata: m, tree, missing });
    this.completeIfWhole(m.messageId);
    return { reconnect: { reconnect: 5n }, results: { [m.messageId]: 0 }, objectsToPush: [...missing] };
  }

  /** PushObject: an id some reply announced, with bytes that hash to it; every reply waiting for it gets it. */
  private storeObject(id: string, bytes: Uint8Array): boolean {
    const owners = [...this.pending].filter(([, p]) => p.missing.has(id));
    if (objectId(bytes) !== id) return false;
    if (!owners.length) return this.objects.has(id); // already stored (pushed for another reply), or never announced
    try {
      parseObject(id, bytes);
    } catch (e) {
      throw new StatusError(grpc.status.FAILED_PRECONDITION, (e as ObjectError).message);
    }
    this.objects.set(id, bytes);
    for (const [messageId, pending] of owners) {
      pending.missing.delete(id);
      this.completeIfWhole(messageId);
    }
    return true;
  }

  private completeIfWhole(messageId: string): void {
    const pending = this.pending.get(messageId)!;
    if (pending.missing.size) return;
    this.pending.delete(messageId);
    const whole = decodeMessage(pending.metadata, pending.tree.objectId, this.objects, GRPC_MAX_MESSAGE_LENGTH);
    const insId = whole.metadata.replyToMessageId;
    this.replies.set(insId, whole);
    this.waiters.get(insId)?.(whole);
    this.waiters.delete(insId);
  }
}

/** An instruction's metadata, as a ServerApp's grid makes it (ttl 12 h by default). */
export function instructionMetadata(nodeId: bigint, runId: bigint, messageType: string, ttl = 43200): MessageMetadata {
  return { runId, messageId: '', srcNodeId: SUPERLINK, dstNodeId: nodeId, replyToMessageId: '', groupId: '', ttl, messageType, createdAt: Date.now() / 1000 };
}

function checkInterval(seconds: number): void {
  if (!(seconds >= 10 && seconds <= 1800)) throw new StatusError(grpc.status.INVALID_ARGUMENT, 'Invalid heartbeat interval');
}

/** A random 64-bit id above 1 (0 and 1 are not node ids). */
function randomId(): bigint {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  const id = (BigInt(hi!) << 32n) | BigInt(lo!);
  return id > 1n ? id : randomId();
}
