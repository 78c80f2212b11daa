/**
 * The entry point of a client worker thread: it builds its clients from the
 * config and their subjects with buildClient (as a run in one thread does),
 * on an engine of its own, then answers calls one at a time, in the order
 * they arrive, so its clients take turns on that engine. See
 * cli/train/worker-protocol.ts for what crosses.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setBackend } from '../../engine/index.js';
import type { Client } from '../../fed/client.js';
import { installNodePlatform } from '../../platform/node.js';
import { clientFacts } from './client-handle.js';
import { buildClient } from './setup.js';
import { serializeError, startId, type ClientCall, type WorkerInit, type WorkerReply } from './worker-protocol.js';

const init = workerData as WorkerInit;
const post = (reply: WorkerReply) => parentPort!.postMessage(reply);

async function start(): Promise<Map<string, Client>> {
  installNodePlatform();
  await setBackend(init.backend, { threads: init.threads });
  const clients = new Map(init.clients.map(({ k, name, subjects }) => [name, buildClient(init.config, subjects, k, name)] as const));
  post({ kind: 'ready', id: startId, facts: [...clients.values()].map(clientFacts) });
  return clients;
}

function perform(client: Client, call: ClientCall): unknown {
  switch (call.method) {
    case 'receive':
      return client.receive(call.global);
    case 'trainRound':
      return client.trainRound(call.firstEpoch, call.localEpochs, {
        onStep: (event, localEpoch) => post({ kind: 'step', client: client.name, event, localEpoch }),
      });
    case 'upload':
      return client.upload();
    case 'privateState':
      return client.privateState();
    case 'restorePrivateState':
      return client.restorePrivateState(call.state, call.where);
    default:
      return call satisfies never;
  }
}

const started = start();
started.catch((e: unknown) => post({ kind: 'error', id: startId, error: serializeError(e) }));
let queue = started; // after a failed start no calls come (the run has its error)
parentPort!.on('message', (call: ClientCall) => {
  queue = queue.then(async (clients) => {
    try {
      post({ kind: 'result', id: call.id, value: await perform(clients.get(call.client)!, call) });
    } catch (e) {
      post({ kind: 'error', id: call.id, error: serializeError(e) });
    }
    return clients;
  });
});
