/**
 * One round of federated averaging, in process: each client in turn takes the
 * global generators, trains its local epochs and uploads; the uploads are
 * averaged by sample count. Centralized training is the same round with one
 * client. Browser-safe: the CLI's runs and the web page share it.
 */
import type { StateEntry } from '../engine/index.js';
import type { Client, StepEvent } from './client.js';
import { federatedAverage, type ClientUpdate } from './fedavg.js';

export interface ClientRound {
  client: Client;
  /** Optimizer steps over its local epochs. */
  steps: number;
  /** Its mean losses over the local epochs. */
  losses: Record<string, number>;
}

export interface RoundResult {
  /** The new global generators. */
  global: Map<string, StateEntry>;
  clients: ClientRound[];
  /** The clients' losses averaged, weighted by sample count. */
  losses: Record<string, number>;
}

export interface RoundHooks {
  /** After each training step; `localEpoch` counts from 0 within the round. */
  onStep?: (event: StepEvent, localEpoch: number) => void;
  /** After each local epoch (the web page yields to the browser there). */
  afterEpoch?: () => Promise<void>;
}

/** Round `round` (from 0): epochs are numbered round * localEpochs + e, keying each client's random streams. */
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
    const losses: Record<string, number> = {};
    let steps = 0;
    for (let e = 0; e < localEpochs; e++) {
      const result = await client.trainEpoch(round * localEpochs + e, (event) => hooks.onStep?.(event, e));
      steps += result.steps;
      for (const [k, v] of Object.entries(result.losses)) losses[k] = (losses[k] ?? 0) + v / localEpochs;
      await hooks.afterEpoch?.();
    }
    updates.push(await client.upload());
    results.push({ client, steps, losses });
  }
  const total = clients.reduce((n, c) => n + c.samples, 0);
  const losses: Record<string, number> = {};
  for (const { client, losses: own } of results) {
    for (const [k, v] of Object.entries(own)) losses[k] = (losses[k] ?? 0) + (v * client.samples) / total;
  }
  return { global: federatedAverage(updates), clients: results, losses };
}
