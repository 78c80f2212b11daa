/**
 * Malformed wire data, fed through the SuperLink stand-in (a test double of
 * Flower's SuperLink) to a real `fedmed node` process: objects whose every
 * hash checks out but whose bodies are not what their type says, as a
 * buggy or hostile ServerApp could send them. Each message gets an error
 * reply naming the bad object (a message without metadata, which cannot be
 * answered, is skipped with a log line naming it), and the node keeps
 * running: the message after them all is answered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create } from '@bufbuild/protobuf';
import { ObjectWriter, short } from '../../fed/flower/objects.js';
import { MessageSchema, ObjectTreeSchema, type ObjectTree } from '../../fed/flower/proto/flwr/proto/message_pb.js';
import { CLIENT_APP_RAISED_EXCEPTION } from '../../fed/flower/records.js';
import { NodeProcess } from '../helpers/node-process.js';
import { instructionMetadata, SuperLinkStandIn } from '../helpers/superlink-standin.js';

const tiny = ['--size', '32', '--width', '2', '--subjects', '6', '--phantom-size', '32', '--seed', '3', '--backend', 'js', '--local-epochs', '1', '--poll-interval', '0.1'];
const utf8 = (text: string) => new TextEncoder().encode(text);
/** Bytes no protobuf parser takes: a field header whose varint never ends. */
const notProtobuf = new Uint8Array([0xff, 0xff, 0xff]);

interface Hostile {
  what: string;
  /** Builds the message's objects; returns the Message's tree and the id of the object the reply must name. */
  build(w: ObjectWriter): { message: ObjectTree; bad: string };
}

/** A Message whose one child is `recordDict` (the body's metadata is unused: the pulled metadata counts). */
const messageOf = (w: ObjectWriter, recordDict: ObjectTree) => w.add('Message', [recordDict], new Uint8Array(0));

/** A RecordDict holding one record `name` -> `record`. */
const recordDictOf = (w: ObjectWriter, name: string, record: ObjectTree) => w.add('RecordDict', [record], utf8(`{"${name}": "${record.objectId}"}`));

/** An ArrayRecord holding one Array (one chunk) whose JSON body is `arrayBody`. */
function arrayRecordWith(w: ObjectWriter, arrayBody: string): { message: ObjectTree; bad: string } {
  const chunk = w.add('ArrayChunk', [], new Uint8Array(4));
  const array = w.add('Array', [chunk], utf8(arrayBody));
  const record = w.add('ArrayRecord', [array], utf8(`{"w": "${array.objectId}"}`));
  return { message: messageOf(w, recordDictOf(w, 'arrays', record)), bad: array.objectId };
}

/** An ArrayRecord holding one Array of `shape` whose one 1 MiB chunk is named `repeats` times: a small message naming a huge array. */
function repeatedChunk(w: ObjectWriter, shape: number[], repeats: number): { message: ObjectTree; bad: string } {
  const chunk = w.add('ArrayChunk', [], new Uint8Array(2 ** 20));
  const array = w.add('Array', [chunk], utf8(JSON.stringify({ dtype: 'float32', shape, stype: 'numpy.ndarray', arraychunk_ids: new Array(repeats).fill(0) })));
  const record = w.add('ArrayRecord', [array], utf8(`{"w": "${array.objectId}"}`));
  return { message: messageOf(w, recordDictOf(w, 'arrays', record)), bad: array.objectId };
}

const cases: Hostile[] = [
  { what: 'a 1 MiB chunk named 5000 times for a shape of one element', build: (w) => repeatedChunk(w, [1], 5000) },
  { what: 'a 1 MiB chunk named 3000 times for a shape that could hold it: 3 GiB, past the largest message', build: (w) => repeatedChunk(w, [1e9], 3000) },
  { what: 'a RecordDict body of null', build: (w) => { const rd = w.add('RecordDict', [], utf8('null')); return { message: messageOf(w, rd), bad: rd.objectId }; } },
  { what: 'a RecordDict body that is a list', build: (w) => { const rd = w.add('RecordDict', [], utf8('[]')); return { message: messageOf(w, rd), bad: rd.objectId }; } },
  { what: 'a RecordDict body that is not JSON', build: (w) => { const rd = w.add('RecordDict', [], utf8('{')); return { message: messageOf(w, rd), bad: rd.objectId }; } },
  { what: 'an ArrayRecord body that is a string', build: (w) => { const ar = w.add('ArrayRecord', [], utf8('"x"')); return { message: messageOf(w, recordDictOf(w, 'arrays', ar)), bad: ar.objectId }; } },
  { what: 'an Array body of null', build: (w) => arrayRecordWith(w, 'null') },
  { what: "a chunk index 'length'", build: (w) => arrayRecordWith(w, '{"dtype": "float32", "shape": [1], "stype": "numpy.ndarray", "arraychunk_ids": ["length"]}') },
  { what: "a chunk index 'constructor'", build: (w) => arrayRecordWith(w, '{"dtype": "float32", "shape": [1], "stype": "numpy.ndarray", "arraychunk_ids": ["constructor"]}') },
  { what: 'a fractional chunk index', build: (w) => arrayRecordWith(w, '{"dtype": "float32", "shape": [1], "stype": "numpy.ndarray", "arraychunk_ids": [0.5]}') },
  { what: 'a negative chunk index', build: (w) => arrayRecordWith(w, '{"dtype": "float32", "shape": [1], "stype": "numpy.ndarray", "arraychunk_ids": [-1]}') },
  { what: 'a chunk index past the children', build: (w) => arrayRecordWith(w, '{"dtype": "float32", "shape": [1], "stype": "numpy.ndarray", "arraychunk_ids": [1]}') },
  { what: 'a shape that is not sizes', build: (w) => arrayRecordWith(w, '{"dtype": "float32", "shape": [-1, "a"], "stype": "numpy.ndarray", "arraychunk_ids": [0]}') },
  { what: 'a ConfigRecord body that is not protobuf', build: (w) => { const c = w.add('ConfigRecord', [], notProtobuf); return { message: messageOf(w, recordDictOf(w, 'config', c)), bad: c.objectId }; } },
  { what: 'a MetricRecord body that is not protobuf', build: (w) => { const m = w.add('MetricRecord', [], notProtobuf); return { message: messageOf(w, recordDictOf(w, 'metrics', m)), bad: m.objectId }; } },
  {
    what: 'a Message body that is not protobuf',
    build: (w) => {
      const config = w.add('ConfigRecord', [], new Uint8Array(0));
      const message = w.add('Message', [recordDictOf(w, 'config', config)], notProtobuf);
      return { message, bad: message.objectId };
    },
  },
];

test('each malformed message gets an error reply naming its bad object; one without metadata is skipped and logged; the node keeps running', async () => {
  const standIn = await SuperLinkStandIn.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-hostile-'));
  const node = new NodeProcess(standIn.address, path.join(dir, 'state'), tiny);
  try {
    const nodeId = await node.joined;
    const runId = standIn.createRun();
    const metadata = instructionMetadata(nodeId, runId, 'train');

    const noMetadata = 'ab'.repeat(32);
    let pulledWithoutMetadata = false;
    standIn.intercept('pullMessages', () => {
      if (pulledWithoutMetadata) return undefined;
      pulledWithoutMetadata = true;
      return { messagesList: [create(MessageSchema, { content: {} })], messageObjectTrees: [create(ObjectTreeSchema, { objectId: noMetadata })] };
    });

    const sent = cases.map((c) => {
      const w = new ObjectWriter();
      const { message, bad } = c.build(w);
      return { ...c, bad, id: standIn.sendObjects(metadata, { id: message.objectId, objects: w.objects, tree: message }) };
    });
    const alive = standIn.send(nodeId, runId, 'query', new Map());
    for (const c of sent) {
      const reply = await standIn.reply(c.id, 20000);
      assert.ok(reply?.error, `${c.what}: an error reply (node output:\n${node.output.join('\n')})`);
      assert.is(reply!.error!.code, CLIENT_APP_RAISED_EXCEPTION, c.what);
      assert.ok(reply!.error!.reason.includes(`object ${short(c.bad)}`), `${c.what}: the reason names object ${short(c.bad)}: ${reply!.error!.reason}`);
      assert.ok(node.output.some((l) => l.includes(`train message ${short(c.id)}: unreadable`)), `${c.what}: the node's log names the message`);
    }
    const last = await standIn.reply(alive, 20000);
    assert.ok(last?.error && /message type 'query' is not one a fedmed node handles/.test(last.error.reason), 'the node still answers');
    assert.ok(pulledWithoutMetadata, 'the message without metadata was pulled');
    assert.ok(node.output.some((l) => l.includes(`message ${short(noMetadata)} came without metadata: skipped`)), node.output.join('\n'));
    assert.is(node.child.exitCode, null, 'the node is still running');
  } finally {
    node.child.kill('SIGKILL');
    standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
