/**
 * Every Fleet call a real Flower 1.28 SuperNode made in a real run
 * (tests/fixtures/flower/transcript.json) decodes with fedmed's protos and
 * encodes back to the same bytes; every object moved has the id of its
 * bytes; and the four messages of the run (train in, its reply, evaluate
 * in, its reply) rebuild from those objects with the content Flower saw.
 */
import { test } from 'uvu';
import { GRPC_MAX_MESSAGE_LENGTH } from '../../fed/flower/fleet.js';
import * as assert from 'uvu/assert';
import { createRegistry, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { fromNpy } from '../../fed/flower/npy.js';
import { decodeMessage, metadataOf, objectId } from '../../fed/flower/objects.js';
import { file_flwr_proto_fab } from '../../fed/flower/proto/flwr/proto/fab_pb.js';
import { file_flwr_proto_fleet } from '../../fed/flower/proto/flwr/proto/fleet_pb.js';
import { file_flwr_proto_heartbeat } from '../../fed/flower/proto/flwr/proto/heartbeat_pb.js';
import { file_flwr_proto_message } from '../../fed/flower/proto/flwr/proto/message_pb.js';
import { file_flwr_proto_run } from '../../fed/flower/proto/flwr/proto/run_pb.js';
import type { Message as MessageProto, ObjectTree } from '../../fed/flower/proto/flwr/proto/message_pb.js';
import { b64, hex, readGolden } from './golden.js';

const transcript = readGolden('transcript.json');
const registry = createRegistry(file_flwr_proto_fleet, file_flwr_proto_message, file_flwr_proto_run, file_flwr_proto_fab, file_flwr_proto_heartbeat);

interface Call { index: number; method: string; request_type: string; request_b64: string; response_type: string; response_b64: string; status: string }

function schema(typeName: string): DescMessage {
  const desc = registry.getMessage(typeName);
  if (!desc) throw new Error(`no protobuf message ${typeName}`);
  return desc;
}

function decoded(call: Call, side: 'request' | 'response'): any {
  return fromBinary(schema(side === 'request' ? call.request_type : call.response_type), b64(side === 'request' ? call.request_b64 : call.response_b64));
}

test('every request and response decodes and encodes back to the recorded bytes', () => {
  const counts: Record<string, number> = {};
  for (const call of transcript.calls as Call[]) {
    assert.is(call.status, 'OK', `call ${call.index}`);
    for (const side of ['request', 'response'] as const) {
      const typeName = side === 'request' ? call.request_type : call.response_type;
      const bytes = b64(side === 'request' ? call.request_b64 : call.response_b64);
      assert.is(hex(toBinary(schema(typeName), fromBinary(schema(typeName), bytes))), hex(bytes), `call ${call.index} ${call.method} ${side}`);
    }
    const method = call.method.split('/').at(-1)!;
    counts[method] = (counts[method] ?? 0) + 1;
  }
  assert.equal(counts, {
    RegisterNode: 1, ActivateNode: 1, PullMessages: 9, SendNodeHeartbeat: 2, GetRun: 1, GetFab: 1, PullObject: 16,
    ConfirmMessageReceived: 2, PushMessages: 2, PushObject: 11, DeactivateNode: 1, UnregisterNode: 1,
  });
});

test('every object moved has the id of its bytes, and the four messages rebuild with the content Flower saw', () => {
  const objects = new Map<string, Uint8Array>();
  const messages: { proto: MessageProto; tree: ObjectTree }[] = [];
  for (const call of transcript.calls as Call[]) {
    const method = call.method.split('/').at(-1)!;
    if (method === 'PullObject') {
      const [request, response] = [decoded(call, 'request'), decoded(call, 'response')];
      assert.ok(response.objectFound && response.objectAvailable);
      objects.set(request.objectId, response.objectContent);
    } else if (method === 'PushObject') {
      const request = decoded(call, 'request');
      objects.set(request.objectId, request.objectContent);
    } else if (method === 'PullMessages' || method === 'PushMessages') {
      const body = method === 'PullMessages' ? decoded(call, 'response') : decoded(call, 'request');
      body.messagesList.forEach((proto: MessageProto, i: number) => messages.push({ proto, tree: body.messageObjectTrees[i] }));
    }
  }
  for (const [id, bytes] of objects) assert.is(objectId(bytes), id);
  assert.is(messages.length, 4);
  for (const [i, expected] of (transcript.messages as any[]).entries()) {
    const { proto, tree } = messages[i]!;
    const message = decodeMessage(metadataOf(proto.metadata), tree.objectId, objects, GRPC_MAX_MESSAGE_LENGTH);
    assert.is(message.metadata.messageId, expected.message_id);
    assert.is(message.metadata.messageType, expected.message_type);
    assert.is(message.metadata.replyToMessageId, expected.reply_to_message_id);
    for (const [key, record] of Object.entries(expected.content as Record<string, Record<string, any>>)) {
      const [kind, entries] = Object.entries(record)[0]!;
      const got = message.content!.get(key)!;
      if (kind === 'ArrayRecord') {
        assert.ok(got.kind === 'array');
        for (const [name, array] of Object.entries(entries as Record<string, { values: number[]; shape: number[] }>)) {
          const npy = fromNpy(got.record.get(name)!.data);
          assert.equal(npy.shape, array.shape, `${expected.message_type} ${name}`);
          assert.equal([...npy.values], array.values.flat(Infinity), `${expected.message_type} ${name}`);
        }
      } else {
        assert.ok(got.kind === (kind === 'MetricRecord' ? 'metric' : 'config'), `${key} is a ${kind}`);
        for (const [name, value] of Object.entries(entries as Record<string, unknown>)) {
          const mine = (got.record as Map<string, unknown>).get(name);
          assert.is(Number(mine), Number(value), `${expected.message_type} ${key}.${name}`);
          assert.is(typeof mine === 'bigint', Number.isInteger(value) && !String(value).includes('.'), `${name}: Python int <-> bigint`);
        }
      }
    }
  }
});

test.run();
