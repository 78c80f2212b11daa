/**
 * The SuperLink's Fleet API over gRPC (@grpc/grpc-js): one definition of its
 * methods (paths and protobuf serializers, from fleet.proto) for the client
 * a node uses and for any server of it, and the client, which signs every
 * call (auth.ts) and turns a failed call into one line naming the method and
 * the gRPC status.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { Fleet } from './proto/flwr/proto/fleet_pb.js';
import type { NodeKey } from './auth.js';

export type FleetMethods = typeof Fleet.method;
export type FleetMethodName = keyof FleetMethods;
export type FleetRequest<N extends FleetMethodName> = MessageShape<FleetMethods[N]['input']>;
export type FleetResponse<N extends FleetMethodName> = MessageShape<FleetMethods[N]['output']>;
export type FleetRequestInit<N extends FleetMethodName> = MessageInitShape<FleetMethods[N]['input']>;

/** grpc-js's view of the Fleet service: a path and serializers per method. */
export function fleetServiceDefinition(): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<any, any>> = {};
  for (const method of Fleet.methods) {
    definition[method.name] = {
      path: `/${Fleet.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
    };
  }
  return definition;
}

function serializer(desc: DescMessage): (value: any) => Buffer {
  return (value) => Buffer.from(toBinary(desc, value));
}

function deserializer(desc: DescMessage): (bytes: Buffer) => any {
  return (bytes) => fromBinary(desc, bytes);
}

/** A Fleet call that failed: the method, gRPC's status code and its details. */
export class FleetError extends Error {
  override name = 'FleetError';
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${method}: ${grpc.status[code] ?? code}${details ? ` (${details})` : ''}`);
  }
}

/** Flower's largest gRPC message, each way (flwr/common/grpc.py): 2 GiB - 1. */
export const GRPC_MAX_MESSAGE_LENGTH = 2_147_483_647;

export interface FleetClientOptions {
  /** PEM root certificates for TLS; plaintext (Flower's --insecure) without. */
  rootCertificates?: Uint8Array;
  /** Largest message sent or received (default GRPC_MAX_MESSAGE_LENGTH); a larger one fails the call with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
}

export class FleetClient {
  private readonly client: grpc.Client;
  private readonly definition = fleetServiceDefinition();

  constructor(
    readonly superlink: string,
    private readonly key: NodeKey,
    options: FleetClientOptions = {},
  ) {
    const credentials = options.rootCertificates ? grpc.credentials.createSsl(Buffer.from(options.rootCertificates)) : grpc.credentials.createInsecure();
    // Arrays come in chunks of 5 MiB by default, but a ServerApp may set its chunks larger (FLWR_PRIVATE_MAX_ARRAY_CHUNK_SIZE): take what Flower's own node takes.
    const max = options.maxMessageBytes ?? GRPC_MAX_MESSAGE_LENGTH;
    this.client = new grpc.Client(superlink, credentials, { 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
  }

  /** One signed unary call; `deadlineSeconds` bounds it (Flower gives heartbeats 5 s). */
  call<N extends FleetMethodName>(name: N, request: FleetRequestInit<N>, deadlineSeconds?: number): Promise<FleetResponse<N>> {
    const method = Fleet.method[name];
    const definition = this.definition[method.name]!;
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(this.key.headers())) metadata.set(key, typeof value === 'string' ? value : Buffer.from(value));
    const options: grpc.CallOptions = deadlineSeconds === undefined ? {} : { deadline: Date.now() + deadlineSeconds * 1000 };
    const message = create(method.input as DescMessage, request as never);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, message, metadata, options, (error, response) => {
        if (error) reject(new FleetError(method.name, error.code, error.details));
        else resolve(response as FleetResponse<N>);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
