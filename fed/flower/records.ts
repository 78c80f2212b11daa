/**
 * Flower's message model in memory: a Message is metadata plus either
 * content (a RecordDict of named records) or an error. Records are
 * ArrayRecords (named Arrays: dtype, shape, the .npy bytes), ConfigRecords
 * and MetricRecords (named values). Python's int and float are told apart
 * on the wire (sint64 against double), so here a JS `bigint` is an int and a
 * `number` a float.
 */
import type { Metadata } from './proto/flwr/proto/message_pb.js';

/** A Flower Array: numpy's dtype name, the shape, and the array as .npy bytes (its `data`). */
export interface NdArray {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export type ArrayRecord = Map<string, NdArray>;

/** What a ConfigRecord holds: an int (bigint), a float (number), a bool, a string, bytes, or a list of one of these. */
export type ConfigScalar = bigint | number | boolean | string | Uint8Array;
export type ConfigValue = ConfigScalar | ConfigScalar[];
export type ConfigRecord = Map<string, ConfigValue>;

/** What a MetricRecord holds: an int (bigint), a float (number), or a list of one of these. */
export type MetricValue = bigint | number | bigint[] | number[];
export type MetricRecord = Map<string, MetricValue>;

export type AnyRecord =
  | { kind: 'array'; record: ArrayRecord }
  | { kind: 'config'; record: ConfigRecord }
  | { kind: 'metric'; record: MetricRecord };

/** A message's content: records by name, in insertion order (the order is part of the object ids). */
export type RecordDict = Map<string, AnyRecord>;

/**
 * A message's metadata, as Flower's protobuf Metadata declares it: run id,
 * message id (the Message object's SHA-256 hex, '' before encoding), source
 * and destination node ids, the instruction replied to, group id, ttl
 * (seconds after created_at), message type ('train', 'evaluate', 'query',
 * '<category>.<action>', 'system') and created_at (seconds since the epoch).
 */
export type MessageMetadata = Omit<Metadata, '$typeName' | '$unknown'>;

/**
 * Flower's ErrorCode.CLIENT_APP_RAISED_EXCEPTION (flwr/common/constant.py):
 * the code of every error reply a node sends, whether the message could not
 * be read or the ClientApp (here the hospital) refused or failed it.
 */
export const CLIENT_APP_RAISED_EXCEPTION = 2;

export interface MessageError {
  code: number;
  reason: string;
}

export interface FlowerMessage {
  metadata: MessageMetadata;
  content?: RecordDict;
  error?: MessageError;
}

/** What a handler answers a message with; the transport fills in the reply's metadata. */
export type Reply = { content: RecordDict } | { error: MessageError };
