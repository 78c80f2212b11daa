/**
 * One round of federated averaging: each client takes the global generators,
 * trains its local epochs and uploads; the uploads are averaged by sample
 * count. Centralized training is the same round with one client.
 * Browser-safe: the CLI's runs and the web page share it. Clients that share
 * one engine (the page's, an in-process run's) train in turn; clients that
 * each live in a thread of their own (the CLI's worker threads) may train at
 * the same time.
 */
import type { StateEntry } from '../engine/index.js';
import type { LocalTraining, RoundHooks } from './client.js';
import { federatedAverage, type ClientUpdate } from './fedavg.js';

/** What a round needs of a client: fed/client.ts's Client, or a handle to one in another thread. */
export interface RoundClient {
  readonly name: string;
  /** Training items, the client's weight in FedAvg. */
  readonly samples: number;
  receive(global: ReadonlyMap<string, StateEntry>): void | Promise<void>;
  trainRound(firstEpoch: number, localEpochs: number, hooks?: RoundHooks): Promise<LocalTraining>;
  upload(): Promise<ClientUpdate>;
}

export interface ClientRound<C extends RoundClient = RoundClient> extends LocalTraining {
  client: C;
}

export interface RoundResult<C extends RoundClient = RoundClient> {
  /** The new global generators. */
  global: Map<string, StateEntry>;
  /** In client order. */
  clients: ClientRound<C>[];
  /** The clients' losses averaged, weighted by sample count. */
  losses: Record<string, number>;
}

export interface RoundOptions extends RoundHooks {
  /**
   * Train the clients at the same time: only for clients that do not share
   * an engine (its tape and scopes are one per thread). Default: in turn.
   */
  concurrent?: boolean;
}

/** Round `round` (from 0): every client trains its epochs round * localEpochs onwards (Client.trainRound). */
export async function federatedRound<C extends RoundClient>(
  clients: readonly C[],
  global: ReadonlyMap<string, StateEntry>,
  round: number,
  localEpochs: number,
  options: RoundOptions = {},
): Promise<RoundResult<C>> {
  const { concurrent, ...hooks } = options;
  const train = async (client: C) => {
    await client.receive(global);
    const local = await client.trainRound(round * localEpochs, localEpochs, hooks);
    return { result: { client, ...local }, update: await client.upload() };
  };
  const done: { result: ClientRound<C>; update: ClientUpdate }[] = [];
  if (concurrent) done.push(...(await Promise.all(clients.map(train))));
  else for (const client of clients) done.push(await train(client));
  // In client order, whichever finished first, so the average sums in one order.
  const results = done.map((d) => d.result);
  const total = clients.reduce((n, c) => n + c.samples, 0);
  const losses: Record<string, number> = {};
  for (const { client, losses: own } of results) {
    for (const [k, v] of Object.entries(own)) losses[k] = (losses[k] ?? 0) + (v * client.samples) / total;
  }
  return { global: federatedAverage(done.map((d) => d.update)), clients: results, losses };
}
