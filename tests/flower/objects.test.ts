/**
 * Flower's object encoding, byte for byte against objects recorded from
 * Flower 1.28 itself (tests/fixtures/flower/objects.json): every object's
 * bytes and id, the ObjectTree and Message protobufs as pushed, the .npy
 * bytes, chunking (with repeated chunks, and the default chunk size), and
 * every edge case; then decoding gives back what was encoded, and a
 * corrupted object is refused naming it.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import { GRPC_MAX_MESSAGE_LENGTH } from '../../fed/flower/fleet.js';
import * as assert from 'uvu/assert';
import { create, toBinary } from '@bufbuild/protobuf';
import { decodeMessage, encodeMessage, encodeRecordDictObjects, encodeRecordObjects, metadataProto, parseObject, postOrder, pythonJson, type EncodedObjects } from '../../fed/flower/objects.js';
import { fromNpy, toNpy } from '../../fed/flower/npy.js';
import { MessageSchema, ObjectTreeSchema } from '../../fed/flower/proto/flwr/proto/message_pb.js';
import type { ArrayRecord, FlowerMessage, MessageMetadata, RecordDict } from '../../fed/flower/records.js';
import { b64, hex, readGolden } from './golden.js';

const golden = readGolden('objects.json');
const vectors = golden.vectors;

interface GoldenArray { record_key: string | null; name: string; dtype: string; shape: number[]; values: number[]; npy_b64: string }
interface GoldenObject { object_id: string; type: string; content_b64: string }

function metadataOf(m: any): MessageMetadata {
  return {
    runId: BigInt(m.run_id), messageId: m.message_id, srcNodeId: BigInt(m.src_node_id), dstNodeId: BigInt(m.dst_node_id),
    replyToMessageId: m.reply_to_message_id, groupId: m.group_id, ttl: m.ttl, messageType: m.message_type, createdAt: m.created_at,
  };
}

/** The arrays of a vector, made by fedmed's own .npy writer from the recorded values. */
function arraysOf(arrays: GoldenArray[]): ArrayRecord {
  const record: ArrayRecord = new Map();
  for (const a of arrays) record.set(a.name, { dtype: 'float32', shape: a.shape, data: toNpy(Float32Array.from(a.values), a.shape) });
  return record;
}

function assertObjects(encoded: EncodedObjects, vector: { objects: GoldenObject[] }, what: string): void {
  assert.equal([...encoded.objects.keys()], vector.objects.map((o) => o.object_id), `${what}: ids in post-order`);
  for (const o of vector.objects) assert.is(hex(encoded.objects.get(o.object_id)!), hex(b64(o.content_b64)), `${what}: ${o.type} ${o.object_id.slice(0, 12)} bytes`);
}

test('.npy bytes equal numpy\'s for every recorded array, and read back', () => {
  for (const vector of [vectors.train_message, vectors.reply_message, vectors.chunked_array_small, vectors.chunked_array_repeated_chunks]) {
    for (const a of vector.arrays as GoldenArray[]) {
      const npy = toNpy(Float32Array.from(a.values), a.shape);
      assert.is(hex(npy), hex(b64(a.npy_b64)), a.name);
      const back = fromNpy(npy);
      assert.equal(back.shape, a.shape);
      assert.equal([...back.values], a.values);
    }
  }
});

test('the train and reply messages: every object, the id, the ObjectTree and the Message as pushed, byte for byte', () => {
  const train = vectors.train_message;
  const trainContent: RecordDict = new Map([
    ['arrays', { kind: 'array', record: arraysOf(train.arrays) }],
    ['config', { kind: 'config', record: new Map([['server-round', 1n], ['local-epochs', 2n]]) }],
  ]);
  const reply = vectors.reply_message;
  const replyContent: RecordDict = new Map([
    ['arrays', { kind: 'array', record: arraysOf(reply.arrays) }],
    ['metrics', { kind: 'metric', record: new Map<string, number | bigint>([['num-examples', 12n], ['train_loss', 0.5]]) }],
  ]);
  for (const [vector, content, what] of [[train, trainContent, 'train'], [reply, replyContent, 'reply']] as const) {
    const message: FlowerMessage = { metadata: { ...metadataOf(vector.metadata), messageId: '' }, content };
    const encoded = encodeMessage(message);
    assert.is(encoded.id, vector.message_id, `${what}: message id`);
    assertObjects(encoded, vector, what);
    assert.is(hex(toBinary(ObjectTreeSchema, encoded.tree)), hex(b64(vector.object_tree_proto_b64)), `${what}: ObjectTree`);
    const pushed = create(MessageSchema, { metadata: metadataProto({ ...message.metadata, messageId: encoded.id }), content: {} });
    assert.is(hex(toBinary(MessageSchema, pushed)), hex(b64(vector.message_proto_as_pushed_b64)), `${what}: Message as pushed`);
    for (const a of vector.arrays) {
      const tree = encoded.tree.children[0]!.children.flatMap((r) => r.children).find((t) => t.objectId === a.array_object_id);
      assert.ok(tree, `${what}: ${a.name}'s Array object ${a.array_object_id.slice(0, 12)} is in the tree`);
      assert.equal(tree!.children.map((c) => c.objectId), a.chunk_object_ids_in_order, `${what}: ${a.name} chunks`);
    }
  }
});

test('chunking: 256-byte chunks, repeated chunks sent once, and the default size rule', () => {
  for (const vector of [vectors.chunked_array_small, vectors.chunked_array_repeated_chunks]) {
    const encoded = encodeRecordObjects({ kind: 'array', record: arraysOf(vector.arrays) }, Number(vector.chunk_size));
    assert.is(encoded.id, vector.root_object_id);
    assertObjects(encoded, vector, vector.arrays[0].name);
  }
  const big = vectors.chunked_array_default_size_by_rule;
  const values = Float32Array.from({ length: 1400000 }, (_, i) => i);
  const npy = toNpy(values, [1400000]);
  assert.is(createHash('sha256').update(npy).digest('hex'), big.npy_sha256, 'the .npy of arange(1400000)');
  const encoded = encodeRecordObjects({ kind: 'array', record: new Map([['big.weight', { dtype: 'float32', shape: [1400000], data: npy }]]) });
  assert.is(encoded.id, big.root_object_id);
  assert.equal([...encoded.objects.keys()], big.objects.map((o: GoldenObject) => o.object_id), 'two chunks (5242880 + 357248 bytes), the Array, the record');
  const chunks = [...encoded.objects].slice(0, 2).map(([id, bytes]) => parseObject(id, bytes).body.length);
  assert.equal(chunks, big.chunk_lengths);
});

test('edge cases: every config value kind, metric lists, identical arrays, a non-ASCII key, an empty record, an error reply', () => {
  const edge = vectors.edge_cases;
  const config = encodeRecordObjects({
    kind: 'config',
    record: new Map<string, any>([
      ['int-zero', 0n], ['int-neg', -3n], ['int-big', 4611686018427387904n], ['uint64', 9223372036854775813n], ['float', 0.001], ['float-zero', 0],
      ['bool-true', true], ['bool-false', false], ['str', 'héllo'], ['str-empty', ''], ['bytes', new Uint8Array([0, 1, 255])],
      ['float-list', [1.5, -2]], ['int-list', [1n, -1n, 0n]], ['bool-list', [true, false]], ['str-list', ['a', 'b']],
      ['bytes-list', [new TextEncoder().encode('x'), new Uint8Array(0)]],
    ]),
  });
  assertObjects(config, edge.config_record_value_types, 'config values');
  const metric = encodeRecordObjects({ kind: 'metric', record: new Map<string, any>([['n', 0n], ['loss', 0], ['acc', [0.5, 0.25]], ['counts', [3n, 4n]]]) });
  assertObjects(metric, edge.metric_record_value_types, 'metric values');
  const same = edge.array_record_identical_arrays;
  const [a] = same.arrays as GoldenArray[];
  const array = { dtype: 'float32', shape: a!.shape, data: toNpy(Float32Array.from(a!.values), a!.shape) };
  const identical = encodeRecordObjects({ kind: 'array', record: new Map([['a', array], ['b', array]]) });
  assertObjects(identical, same, 'identical arrays');
  assert.is(identical.tree.children.length, 1, 'one child in the tree');
  const nonAscii = encodeRecordDictObjects(new Map([['métriques', { kind: 'metric', record: new Map([['x', 1n]]) }]]));
  assertObjects(nonAscii, edge.recorddict_non_ascii_key, 'non-ASCII key');
  assertObjects(encodeRecordObjects({ kind: 'array', record: new Map() }), edge.empty_array_record, 'empty ArrayRecord');
  const error = edge.error_reply_message;
  const encoded = encodeMessage({ metadata: { ...metadataOf(error.metadata), messageId: '' }, error: { code: 2, reason: 'boom' } });
  assert.is(encoded.id, error.message_id);
  assertObjects(encoded, error, 'error reply');
});

test("names keep their order on the wire, integer-like ones too, as Python's json.dumps keeps a dict's", () => {
  // python3 -c 'import json; print(json.dumps({"b": "x", "1": "y", "\u00e9": [1, 2]}))'
  assert.is(new TextDecoder().decode(pythonJson(new Map<string, unknown>([['b', 'x'], ['1', 'y'], ['é', [1, 2]]]))), '{"b": "x", "1": "y", "\\u00e9": [1, 2]}');
  const array = (v: number) => ({ dtype: 'float32', shape: [1], data: toNpy(Float32Array.of(v), [1]) });
  const content: RecordDict = new Map([
    ['b', { kind: 'array', record: new Map([['layer', array(1)], ['0', array(2)]]) }],
    ['1', { kind: 'metric', record: new Map([['x', 1n]]) }],
  ]);
  const metadata = metadataOf(vectors.train_message.metadata);
  const encoded = encodeMessage({ metadata, content });
  /** An object's body names in order, and its head's children: the same ids in the same order. */
  const namesOf = (id: string) => {
    const parsed = parseObject(id, encoded.objects.get(id)!);
    const pairs = [...new TextDecoder().decode(parsed.body).matchAll(/"([^"]*)": "([0-9a-f]{64})"/g)];
    assert.equal(pairs.map((p) => p[2]), parsed.children, `${parsed.type}: the body lists its children in the head's order`);
    return pairs.map((p) => p[1]);
  };
  const recordDict = encoded.tree.children[0]!;
  assert.equal(namesOf(recordDict.objectId), ['b', '1']);
  assert.equal(namesOf(recordDict.children[0]!.objectId), ['layer', '0']);
  const back = decodeMessage(metadata, encoded.id, encoded.objects, GRPC_MAX_MESSAGE_LENGTH).content!;
  assert.equal([...back.keys()], ['b', '1']);
  const arrays = back.get('b')!;
  assert.ok(arrays.kind === 'array');
  assert.equal([...arrays.record.keys()], ['layer', '0']);
});

test('.npy version 2 with a megabyte-long header (numpy pads as it likes) reads', () => {
  const headerLength = 1 << 20;
  const npy = new Uint8Array(12 + headerLength + 8);
  npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(npy.buffer).setUint32(8, headerLength, true);
  npy.fill(0x20, 12, 12 + headerLength);
  npy.set(new TextEncoder().encode("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), 12);
  npy[12 + headerLength - 1] = 0x0a;
  new DataView(npy.buffer).setFloat32(12 + headerLength, 1.5, true);
  new DataView(npy.buffer).setFloat32(12 + headerLength + 4, -2, true);
  const read = fromNpy(npy);
  assert.equal(read.shape, [2]);
  assert.equal([...read.values], [1.5, -2]);
});

test('decoding gives back the message, and checks every object', () => {
  const train = vectors.train_message;
  const objects = new Map<string, Uint8Array>(train.objects.map((o: GoldenObject) => [o.object_id, b64(o.content_b64)]));
  const metadata = metadataOf(train.metadata);
  const message = decodeMessage(metadata, train.message_id, objects, GRPC_MAX_MESSAGE_LENGTH);
  assert.is(message.metadata.messageId, train.message_id);
  const arrays = message.content!.get('arrays')!;
  assert.ok(arrays.kind === 'array');
  for (const a of train.arrays as GoldenArray[]) assert.equal([...fromNpy(arrays.record.get(a.name)!.data).values], a.values, a.name);
  const config = message.content!.get('config')!;
  assert.ok(config.kind === 'config');
  assert.equal([...config.record], [['server-round', 1n], ['local-epochs', 2n]]);
  assert.equal(postOrder(encodeMessage({ ...message, metadata: { ...metadata, messageId: '' } }).tree), [...objects.keys()]);

  const [chunkId] = objects.keys();
  const corrupt = new Map(objects);
  const bytes = corrupt.get(chunkId!)!.slice();
  bytes[bytes.length - 1] ^= 1;
  corrupt.set(chunkId!, bytes);
  assert.throws(() => decodeMessage(metadata, train.message_id, corrupt, GRPC_MAX_MESSAGE_LENGTH), new RegExp(`object ${chunkId!.slice(0, 12)}\\.\\.\\.: its bytes hash to`));
  const missing = new Map(objects);
  missing.delete(chunkId!);
  assert.throws(() => decodeMessage(metadata, train.message_id, missing, GRPC_MAX_MESSAGE_LENGTH), /is missing/);
});

test.run();
