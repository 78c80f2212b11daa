/**
 * Flower's content-addressed objects: how a message's content crosses the
 * wire. Every part of a message (the Message, its RecordDict, each record,
 * each Array, each chunk of an Array's bytes) is an object
 *
 *   "<Type> <child ids joined by ','> <body length>" 0x00 <body>
 *
 * whose id is the SHA-256 of those bytes, in hex. Parents name their
 * children by id, so equal parts are sent once and a receiver can check
 * every byte it got. Bodies, type by type:
 * - Message: the protobuf Message with message_id "" and no content (an
 *   error reply carries its Error here, and has no children);
 * - RecordDict, ArrayRecord: Python's json.dumps({name: child id}) (", " and
 *   ": " separators, non-ASCII escaped, insertion order, even for names
 *   like "0" that a JS object would put first); the head lists the
 *   distinct child ids in first-occurrence order;
 * - Array: json.dumps({dtype, shape, stype, arraychunk_ids}), the ids being
 *   indices into the head's children; ArrayChunk: a raw slice of at most
 *   `chunkSize` bytes of the .npy data;
 * - ConfigRecord, MetricRecord: the protobuf record (Python int as sint64,
 *   or uint64 above 2^63 - 1; float as double; zero values written).
 */
import { createHash } from 'node:crypto';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { MessageSchema, MetadataSchema, ObjectTreeSchema, type Metadata, type ObjectTree } from './proto/flwr/proto/message_pb.js';
import { ErrorSchema } from './proto/flwr/proto/error_pb.js';
import {
  ConfigRecordSchema,
  MetricRecordSchema,
  type ConfigRecordValue,
  type ConfigRecordValueSchema,
  type MetricRecordValue,
  type MetricRecordValueSchema,
} from './proto/flwr/proto/recorddict_pb.js';

type ConfigInit = MessageInitShape<typeof ConfigRecordValueSchema>['value'];
type MetricInit = MessageInitShape<typeof MetricRecordValueSchema>['value'];
import type {
  AnyRecord,
  ArrayRecord,
  ConfigRecord,
  ConfigScalar,
  ConfigValue,
  FlowerMessage,
  MessageMetadata,
  MetricRecord,
  MetricValue,
  NdArray,
  RecordDict,
} from './records.js';

/** Flower's default largest ArrayChunk (FLWR_PRIVATE_MAX_ARRAY_CHUNK_SIZE). */
export const MAX_CHUNK_SIZE = 5242880;

/** A bad object: a wrong id, a malformed head, a missing child. */
export class ObjectError extends Error {
  override name = 'ObjectError';
}

export function objectId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Something as objects: its id (the root object's), every object by id in post-order, and the id tree. */
export interface EncodedObjects {
  id: string;
  /** Children before parents, as Flower pushes them. */
  objects: Map<string, Uint8Array>;
  tree: ObjectTree;
}

/** Builds objects bottom-up, each once (any type and body: tests build malformed ones with it). */
export class ObjectWriter {
  readonly objects = new Map<string, Uint8Array>();

  /** Adds one object; `children` are already added. Returns its id and tree. */
  add(type: string, children: readonly ObjectTree[], body: Uint8Array): ObjectTree {
    const distinct = uniqueIds(children.map((c) => c.objectId));
    const head = new TextEncoder().encode(`${type} ${distinct.join(',')} ${body.length}`);
    const bytes = new Uint8Array(head.length + 1 + body.length);
    bytes.set(head, 0);
    bytes.set(body, head.length + 1);
    const id = objectId(bytes);
    if (!this.objects.has(id)) this.objects.set(id, bytes);
    const byId = new Map(children.map((c) => [c.objectId, c]));
    return create(ObjectTreeSchema, { objectId: id, children: distinct.map((d) => byId.get(d)!) });
  }
}

export function encodeMessage(message: FlowerMessage, chunkSize = MAX_CHUNK_SIZE): EncodedObjects {
  const writer = new ObjectWriter();
  const children = message.content ? [encodeRecordDict(writer, message.content, chunkSize)] : [];
  const body = create(MessageSchema, {
    metadata: metadataProto({ ...message.metadata, messageId: '' }),
    error: message.error ? create(ErrorSchema, { code: BigInt(message.error.code), reason: message.error.reason }) : undefined,
  });
  const tree = writer.add('Message', children, toBinary(MessageSchema, body));
  return { id: tree.objectId, objects: writer.objects, tree };
}

/** One record alone as objects (a record's own id, as Flower computes it). */
export function encodeRecordObjects(record: AnyRecord, chunkSize = MAX_CHUNK_SIZE): EncodedObjects {
  const writer = new ObjectWriter();
  const tree = encodeRecord(writer, record, chunkSize);
  return { id: tree.objectId, objects: writer.objects, tree };
}

/** A RecordDict alone as objects. */
export function encodeRecordDictObjects(content: RecordDict, chunkSize = MAX_CHUNK_SIZE): EncodedObjects {
  const writer = new ObjectWriter();
  const tree = encodeRecordDict(writer, content, chunkSize);
  return { id: tree.objectId, objects: writer.objects, tree };
}

function encodeRecordDict(writer: ObjectWriter, content: RecordDict, chunkSize: number): ObjectTree {
  const named = [...content].map(([name, record]) => [name, encodeRecord(writer, record, chunkSize)] as const);
  return writer.add('RecordDict', named.map(([, t]) => t), namedIdsJson(named));
}

function encodeRecord(writer: ObjectWriter, record: AnyRecord, chunkSize: number): ObjectTree {
  switch (record.kind) {
    case 'array': {
      const named = [...record.record].map(([name, array]) => [name, encodeArray(writer, array, chunkSize)] as const);
      return writer.add('ArrayRecord', named.map(([, t]) => t), namedIdsJson(named));
    }
    case 'config':
      return writer.add('ConfigRecord', [], toBinary(ConfigRecordSchema, create(ConfigRecordSchema, { items: [...record.record].map(([key, v]) => ({ key, value: { value: configValue(v, key) } })) })));
    case 'metric':
      return writer.add('MetricRecord', [], toBinary(MetricRecordSchema, create(MetricRecordSchema, { items: [...record.record].map(([key, v]) => ({ key, value: { value: metricValue(v, key) } })) })));
  }
}

/** The body of a RecordDict or ArrayRecord: {name: child id} in the record's order. */
function namedIdsJson(named: readonly (readonly [string, ObjectTree])[]): Uint8Array {
  return pythonJson(new Map(named.map(([name, tree]) => [name, tree.objectId])));
}

function encodeArray(writer: ObjectWriter, array: NdArray, chunkSize: number): ObjectTree {
  const chunks: ObjectTree[] = [];
  for (let at = 0; at < array.data.length; at += chunkSize) chunks.push(writer.add('ArrayChunk', [], array.data.subarray(at, at + chunkSize)));
  const distinct = uniqueIds(chunks.map((c) => c.objectId));
  const body = new Map<string, unknown>([['dtype', array.dtype], ['shape', array.shape], ['stype', 'numpy.ndarray'], ['arraychunk_ids', chunks.map((c) => distinct.indexOf(c.objectId))]]);
  return writer.add('Array', chunks, pythonJson(body));
}

const SINT64_MAX = (1n << 63n) - 1n;
const SINT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** A list of Python ints: sint64s, or uint64s when one is above sint64's range. */
function intListCase(ints: bigint[]): { case: 'sintList' | 'uintList'; value: { vals: bigint[] } } {
  return { case: ints.some((v) => v > SINT64_MAX) ? 'uintList' : 'sintList', value: { vals: ints } };
}

/** A Python int's oneof case: sint64, or uint64 above sint64's range. */
function intCase(value: bigint, key: string): { case: 'sint64' | 'uint64'; value: bigint } {
  if (value >= SINT64_MIN && value <= SINT64_MAX) return { case: 'sint64', value };
  if (value > SINT64_MAX && value <= UINT64_MAX) return { case: 'uint64', value };
  throw new ObjectError(`record value '${key}': ${value} does not fit 64 bits`);
}

function configValue(value: ConfigValue, key: string): ConfigInit {
  if (!Array.isArray(value)) return configScalar(value, key);
  const kinds = new Set(value.map((v) => scalarKind(v)));
  if (kinds.size > 1) throw new ObjectError(`config value '${key}': a list mixes ${[...kinds].join(' and ')}`);
  const kind = [...kinds][0] ?? 'float';
  switch (kind) {
    case 'int': return intListCase(value as bigint[]);
    case 'float': return { case: 'doubleList', value: { vals: value as number[] } };
    case 'bool': return { case: 'boolList', value: { vals: value as boolean[] } };
    case 'string': return { case: 'stringList', value: { vals: value as string[] } };
    case 'bytes': return { case: 'bytesList', value: { vals: value as Uint8Array[] } };
  }
}

function configScalar(value: ConfigScalar, key: string): ConfigInit {
  switch (scalarKind(value)) {
    case 'int': return intCase(value as bigint, key);
    case 'float': return { case: 'double', value: value as number };
    case 'bool': return { case: 'bool', value: value as boolean };
    case 'string': return { case: 'string', value: value as string };
    case 'bytes': return { case: 'bytes', value: value as Uint8Array };
  }
}

function metricValue(value: MetricValue, key: string): MetricInit {
  if (typeof value === 'bigint') return intCase(value, key);
  if (typeof value === 'number') return { case: 'double', value };
  if (value.every((v) => typeof v === 'bigint')) return intListCase(value as bigint[]);
  if (value.every((v) => typeof v === 'number')) return { case: 'doubleList', value: { vals: value as number[] } };
  throw new ObjectError(`metric value '${key}': a list mixes ints and floats`);
}

function scalarKind(value: ConfigScalar): 'int' | 'float' | 'bool' | 'string' | 'bytes' {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'bytes';
}

export function metadataProto(m: MessageMetadata): Metadata {
  return create(MetadataSchema, {
    runId: m.runId,
    messageId: m.messageId,
    srcNodeId: m.srcNodeId,
    dstNodeId: m.dstNodeId,
    replyToMessageId: m.replyToMessageId,
    groupId: m.groupId,
    ttl: m.ttl,
    messageType: m.messageType,
    createdAt: m.createdAt,
  });
}

export function metadataOf(m: Metadata | undefined): MessageMetadata {
  if (!m) throw new ObjectError('a message without metadata');
  const { runId, messageId, srcNodeId, dstNodeId, replyToMessageId, groupId, ttl, messageType, createdAt } = m;
  return { runId, messageId, srcNodeId, dstNodeId, replyToMessageId, groupId, ttl, messageType, createdAt };
}

/** An object's parts, its id checked against its bytes and its head against its body. */
interface ParsedObject {
  type: string;
  children: string[];
  body: Uint8Array;
}

export function parseObject(id: string, bytes: Uint8Array): ParsedObject {
  const actual = objectId(bytes);
  if (actual !== id) throw new ObjectError(`object ${short(id)}: its bytes hash to ${short(actual)} (corrupted or not the object asked for)`);
  const divider = bytes.indexOf(0);
  if (divider < 0) throw new ObjectError(`object ${short(id)}: no head/body divider`);
  const head = new TextDecoder().decode(bytes.subarray(0, divider)).split(' ');
  if (head.length !== 3) throw new ObjectError(`object ${short(id)}: head '${head.join(' ')}' is not '<type> <children> <length>'`);
  const [type, childText, lengthText] = head as [string, string, string];
  const body = bytes.subarray(divider + 1);
  if (String(body.length) !== lengthText) throw new ObjectError(`object ${short(id)}: head says a ${lengthText}-byte body, it has ${body.length}`);
  const children = childText === '' ? [] : childText.split(',');
  if (children.some((c) => !/^[0-9a-f]{64}$/.test(c))) throw new ObjectError(`object ${short(id)}: a child id in '${childText}' is not SHA-256 hex`);
  return { type, children, body };
}

/**
 * Rebuilds a message from its objects (every one checked: id, head, type,
 * children), with the metadata it was pulled with; its arrays together may
 * come to `maxArrayBytes` at most.
 */
export function decodeMessage(metadata: MessageMetadata, rootId: string, objects: ReadonlyMap<string, Uint8Array>, maxArrayBytes: number): FlowerMessage {
  const reader = new ObjectReader(objects, maxArrayBytes);
  const root = reader.read(rootId, 'Message');
  const body = parseProto(MessageSchema, rootId, root);
  if (body.content) throw new ObjectError(`object ${short(rootId)}: a Message body must not carry content`);
  const message: FlowerMessage = { metadata: { ...metadata, messageId: rootId } };
  if (body.error) message.error = { code: Number(body.error.code), reason: body.error.reason };
  if (root.children.length > 1) throw new ObjectError(`object ${short(rootId)}: a Message has at most one child, got ${root.children.length}`);
  if (root.children.length === 1) message.content = decodeRecordDict(reader, root.children[0]!);
  if (!message.content === !message.error) throw new ObjectError(`message ${short(rootId)}: needs exactly one of content or error`);
  return message;
}

class ObjectReader {
  /** Bytes of Array data assembled so far, against `maxArrayBytes`. */
  assembled = 0;

  constructor(private readonly objects: ReadonlyMap<string, Uint8Array>, readonly maxArrayBytes: number) {}

  /** The object `id`, which must be of one of `types`. */
  read(id: string, ...types: string[]): ParsedObject {
    const bytes = this.objects.get(id);
    if (!bytes) throw new ObjectError(`object ${short(id)} (${types.join(' or ')}) is missing`);
    const parsed = parseObject(id, bytes);
    if (!types.includes(parsed.type)) throw new ObjectError(`object ${short(id)}: a ${parsed.type} where a ${types.join(' or ')} belongs`);
    return parsed;
  }

  /** A JSON body mapping names to child ids, each among the head's children. */
  namedChildren(id: string, parsed: ParsedObject): [string, string][] {
    const heads = new Set(parsed.children);
    for (const [name, child] of Object.entries(parseJsonObject(id, parsed))) {
      if (typeof child !== 'string' || !heads.has(child)) throw new ObjectError(`object ${short(id)}: '${name}' names ${String(child)}, not one of its children`);
    }
    // In the order written, as Python's json.loads keeps it (Object.entries puts names like "0" first).
    // The body is a valid {string: string} object here, so its string tokens are name, id, name, id, ...
    const tokens = [...new TextDecoder().decode(parsed.body).matchAll(/"(?:[^"\\]|\\.)*"/g)].map((m) => JSON.parse(m[0]) as string);
    return Array.from({ length: tokens.length / 2 }, (_, k) => [tokens[2 * k]!, tokens[2 * k + 1]!]);
  }
}

function decodeRecordDict(reader: ObjectReader, id: string): RecordDict {
  const parsed = reader.read(id, 'RecordDict');
  const out: RecordDict = new Map();
  for (const [name, childId] of reader.namedChildren(id, parsed)) {
    out.set(name, decodeRecord(reader, childId, reader.read(childId, 'ArrayRecord', 'ConfigRecord', 'MetricRecord')));
  }
  return out;
}

function decodeRecord(reader: ObjectReader, id: string, parsed: ParsedObject): AnyRecord {
  switch (parsed.type) {
    case 'ArrayRecord': {
      const record: ArrayRecord = new Map();
      for (const [name, childId] of reader.namedChildren(id, parsed)) record.set(name, decodeArray(reader, childId));
      return { kind: 'array', record };
    }
    case 'ConfigRecord': {
      const record: ConfigRecord = new Map();
      for (const item of parseProto(ConfigRecordSchema, id, parsed).items) record.set(item.key, fromConfigValue(item.value?.value, id, item.key));
      return { kind: 'config', record };
    }
    case 'MetricRecord': {
      const record: MetricRecord = new Map();
      for (const item of parseProto(MetricRecordSchema, id, parsed).items) record.set(item.key, fromMetricValue(item.value?.value, id, item.key));
      return { kind: 'metric', record };
    }
    default:
      throw new ObjectError(`object ${short(id)}: a ${parsed.type} where a record belongs`);
  }
}

/** The largest numpy item (complex256) and a generous .npy header: what an element and a header can take. */
const MAX_ITEM_BYTES = 32;
const MAX_NPY_HEADER = 65536;

function decodeArray(reader: ObjectReader, id: string): NdArray {
  const parsed = reader.read(id, 'Array');
  const { dtype, shape, arraychunk_ids: indexes } = parseJsonObject(id, parsed);
  const isSize = (d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0;
  if (typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every(isSize) || !Array.isArray(indexes)) {
    throw new ObjectError(`object ${short(id)}: an Array body needs a dtype string, a shape of sizes and arraychunk_ids`);
  }
  const chunks = indexes.map((k: unknown) => {
    if (!(Number.isInteger(k) && (k as number) >= 0 && (k as number) < parsed.children.length)) {
      throw new ObjectError(`object ${short(id)}: chunk index ${JSON.stringify(k)} is not one of its ${parsed.children.length} children`);
    }
    return reader.read(parsed.children[k as number]!, 'ArrayChunk');
  });
  // A chunk may be named many times (equal chunks travel once), so a small message can name a huge array: sized before it is made.
  const size = chunks.reduce((n, c) => n + c.body.length, 0);
  const elements = shape.reduce((n: number, d: number) => n * d, 1);
  if (size > elements * MAX_ITEM_BYTES + MAX_NPY_HEADER) throw new ObjectError(`object ${short(id)}: its chunks come to ${size} bytes, more than shape (${shape.join(', ')}) holds in any dtype`);
  reader.assembled += size;
  if (reader.assembled > reader.maxArrayBytes) throw new ObjectError(`object ${short(id)}: the message's arrays come to more than the ${reader.maxArrayBytes} bytes this node takes`);
  const data = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk.body, at);
    at += chunk.body.length;
  }
  return { dtype, shape: shape as number[], data };
}

function fromConfigValue(value: ConfigRecordValue['value'] | undefined, id: string, key: string): ConfigValue {
  if (!value || value.case === undefined) throw new ObjectError(`object ${short(id)}: config value '${key}' is empty`);
  return value.case.endsWith('List') ? [...(value.value as { vals: ConfigScalar[] }).vals] : (value.value as ConfigScalar);
}

function fromMetricValue(value: MetricRecordValue['value'] | undefined, id: string, key: string): MetricValue {
  if (!value || value.case === undefined) throw new ObjectError(`object ${short(id)}: metric value '${key}' is empty`);
  return value.case.endsWith('List') ? ([...(value.value as { vals: (bigint | number)[] }).vals] as MetricValue) : (value.value as bigint | number);
}

/** A JSON body, which must be one object ({...}: not null, a list or a scalar). */
function parseJsonObject(id: string, parsed: ParsedObject): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(parsed.body));
  } catch {
    throw new ObjectError(`object ${short(id)}: its ${parsed.type} body is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ObjectError(`object ${short(id)}: its ${parsed.type} body is JSON but not an object ({...})`);
  return value as Record<string, unknown>;
}

/** A protobuf body; bytes that are not one are the object's error, not the reader's. */
function parseProto<Desc extends DescMessage>(schema: Desc, id: string, parsed: ParsedObject): MessageShape<Desc> {
  try {
    return fromBinary(schema, parsed.body);
  } catch (e) {
    throw new ObjectError(`object ${short(id)}: its ${parsed.type} body is not a protobuf ${parsed.type} (${(e as Error).message})`);
  }
}

function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/**
 * Python's json.dumps with its defaults: ", " and ": " separators,
 * non-ASCII characters escaped as \uXXXX, keys in insertion order. A dict
 * is a Map (a JS object would put integer-like keys such as "0" first), a
 * list an array.
 */
export function pythonJson(value: unknown): Uint8Array {
  const text = (function write(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(write).join(', ')}]`;
    if (v instanceof Map) return `{${[...v].map(([k, x]) => `${write(String(k))}: ${write(x)}`).join(', ')}}`;
    if (v !== null && typeof v === 'object') throw new Error('pythonJson: a dict must be a Map, so that its key order is kept');
    return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => (c === '\u007f' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  })(value);
  return new TextEncoder().encode(text);
}

/** All ids of a tree, children before parents. */
export function postOrder(tree: ObjectTree): string[] {
  const out: string[] = [];
  const seen = new Set<string>(); // a Set: a tree of many leaves must not take quadratic time
  const walk = (t: ObjectTree) => {
    for (const c of t.children) walk(c);
    if (!seen.has(t.objectId)) {
      seen.add(t.objectId);
      out.push(t.objectId);
    }
  };
  walk(tree);
  return out;
}

export function short(id: string): string {
  return `${id.slice(0, 12)}...`;
}
