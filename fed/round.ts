/**
 * One round of federated averaging, in process: each client in turn takes the
 * global generators, trains its local epochs and uploads; the uploads are
 * averaged by sample count. Centralized training is the same round with one
 * client. Browser-safe: the CLI's runs and the web page share it.
 */
import type { StateEntry } from '../engine/index.js';
import type { Client, LocalTraining, RoundHooks } from './client.js';
import { federatedAverage, type ClientUpdate } from './fedavg.js';

export interface ClientRound extends LocalTraining {
  client: Client;
}

export interface RoundResult {
  /** The new global generators. */
  global: Map<string, StateEntry>;
  clients: ClientRound[];
  /** The clients' losses averaged, weighted by sample count. */
  losses: Record<string, number>;
}

/** Round `round` (from 0): see Client.trainRound for how its epochs are numbered. */
export async function federatedRound(
  clients: readonly Client[],
  global: ReadonlyMap<string, StateEntry>,
  round: number,
  localEpochs: number,
  hooks: RoundHooks = {},
): Promise<RoundResult> {
  const updates: ClientUpdate[] = [];
  const results: ClientRound[] = [];
  for (const client of clients) {
    client.receive(global);
    const local = await client.trainRound(round, localEpochs, hooks);
    updates.push(await client.upload());
    results.push({ client, ...local });
  }
  const total = clients.reduce((n, c) => n + c.samples, 0);
  const losses: Record<string, number> = {};
  for (const { client, losses: own } of results) {
    for (const [k, v] of Object.entries(own)) losses[k] = (losses[k] ?? 0) + (v * client.samples) / total;
  }
  return { global: federatedAverage(updates), clients: results, losses };
}
