/**
 * Clients trained in worker threads: each worker (cli/train/client-worker.ts)
 * builds and keeps its clients for the whole run, and this side holds a
 * ClientHandle per client that forwards the round's and the checkpoint's
 * calls and the step events. A worker that fails rejects every call waiting
 * on it with the error, rebuilt as its class; the last handle of a worker
 * to be disposed terminates it.
 */
import { Worker } from 'node:worker_threads';
import type { StateEntry } from '../../engine/index.js';
import type { LocalTraining, RoundHooks } from '../../fed/client.js';
import type { ClientUpdate } from '../../fed/fedavg.js';
import type { ClientFacts, ClientHandle } from './client-handle.js';
import { reviveError, startId, type ClientCall, type ClientShare, type WorkerInit, type WorkerReply } from './worker-protocol.js';

/** A call without its id and client (each union member's own fields kept). */
type Call = ClientCall extends infer C ? (C extends ClientCall ? Omit<C, 'id' | 'client'> : never) : never;

/** One worker thread, its calls in flight and its clients' step listeners. */
class ClientThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly onStep = new Map<string, NonNullable<RoundHooks['onStep']>>();
  private nextId = startId + 1;
  private failure: Error | null = null;
  private live: number;
  readonly ready: Promise<ClientFacts[]>;

  constructor(init: WorkerInit) {
    this.live = init.clients.length;
    this.ready = this.expect(startId) as Promise<ClientFacts[]>;
    this.worker = new Worker(new URL('./client-worker.js', import.meta.url), { workerData: init });
    this.worker.on('message', (reply: WorkerReply) => this.answer(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`a client worker thread (${init.clients.map((c) => c.name).join(', ')}) stopped with exit code ${code}`)));
  }

  call(client: string, call: Call): Promise<unknown> {
    const id = this.nextId++;
    const answer = this.expect(id);
    if (!this.failure) this.worker.postMessage({ ...call, id, client });
    return answer;
  }

  /** Step events of `client` go to `listener` (undefined: nowhere). */
  listen(client: string, listener: RoundHooks['onStep']): void {
    if (listener) this.onStep.set(client, listener);
    else this.onStep.delete(client);
  }

  /** One of its clients is done; the last one terminates the worker. */
  async release(): Promise<void> {
    if (--this.live === 0) await this.terminate();
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('the client worker thread was terminated');
    await this.worker.terminate();
  }

  private expect(id: number): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  private answer(reply: WorkerReply): void {
    if (reply.kind === 'step') {
      this.onStep.get(reply.client)?.(reply.event, reply.localEpoch);
      return;
    }
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (reply.kind === 'error') waiter?.reject(reviveError(reply.error));
    else waiter?.resolve(reply.kind === 'ready' ? reply.facts : reply.value);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }
}

function workerHandle(thread: ClientThread, facts: ClientFacts): ClientHandle {
  const call = <T>(c: Call) => thread.call(facts.name, c) as Promise<T>;
  // receive's answer is awaited by the trainRound after it, not by receive: the worker takes calls in order,
  // so a round's training is queued at once and this thread is free meanwhile (run.ts does the round's accounting then).
  let received: Promise<void> = Promise.resolve();
  return {
    ...facts,
    receive(global) {
      received = call<void>({ method: 'receive', global });
      received.catch(() => {}); // reported by the trainRound that follows
    },
    // hooks.afterEpoch is the web page's (it yields to the browser there); a worker has no page to yield to.
    async trainRound(firstEpoch, localEpochs, hooks = {}) {
      thread.listen(facts.name, hooks.onStep);
      try {
        const [, local] = await Promise.all([received, call<LocalTraining>({ method: 'trainRound', firstEpoch, localEpochs })]);
        return local;
      } finally {
        thread.listen(facts.name, undefined);
      }
    },
    upload: () => call<ClientUpdate>({ method: 'upload' }),
    privateState: () => call<Map<string, StateEntry>>({ method: 'privateState' }),
    restorePrivateState: (state, where) => call<void>({ method: 'restorePrivateState', state, where }),
    dispose: () => thread.release(),
  };
}

/**
 * Starts a worker per group, worker w holding the clients `groups[w]`
 * (indices into `shares`); resolves once every client is built, with the
 * handles in client order.
 */
export async function startWorkerClients(engine: Omit<WorkerInit, 'clients'>, shares: readonly ClientShare[], groups: readonly number[][]): Promise<ClientHandle[]> {
  const threads = groups.map((g) => new ClientThread({ ...engine, clients: g.map((i) => shares[i]!) }));
  try {
    const facts = await Promise.all(threads.map((t) => t.ready));
    const handles: ClientHandle[] = [];
    groups.forEach((g, w) => g.forEach((i, j) => (handles[i] = workerHandle(threads[w]!, facts[w]![j]!))));
    return handles;
  } catch (e) {
    await Promise.all(threads.map((t) => t.terminate()));
    throw e;
  }
}
