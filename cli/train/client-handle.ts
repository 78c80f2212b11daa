/**
 * A run's view of one client, wherever it trains: in this thread (the
 * Client itself, behind a thin handle) or in a worker thread
 * (cli/train/worker-clients.ts). The run reads plain facts and calls the
 * round's and the checkpoint's methods; it never reaches into the client's
 * data, models or optimizers, so both kinds behave the same.
 */
import { largestSubjectShare, type PrivacyUnit } from '../../data/index.js';
import type { Client } from '../../fed/client.js';
import type { RoundClient } from '../../fed/round.js';
import type { StateEntry } from '../../engine/index.js';

/** What a run reads about a client: data only, so it crosses a thread boundary as it is. */
export interface ClientFacts {
  name: string;
  /** Training items, the client's weight in FedAvg. */
  samples: number;
  /** The DP sampling rate: batch size over local dataset size. */
  samplingRate: number;
  /** DP's noise multiplier sigma (0 without DP). */
  noise: number;
  /** Steps (batches, or Poisson samples) per local epoch. */
  stepsPerEpoch: number;
  /** DP-SGD's Poisson sampling, rather than shuffled fixed-size batches. */
  poissonSampled: boolean;
  /** What a Poisson sample draws: a slice or a subject. */
  unit: PrivacyUnit;
  /** The most items any one subject's images appear in (the ledger's group size). */
  largestSubjectShare: number;
}

export interface ClientHandle extends RoundClient, Readonly<ClientFacts> {
  /** Discriminators and both Adam states, by name: for checkpoints only. */
  privateState(): Promise<Map<string, StateEntry>>;
  /** Restores what privateState() saved; `where` names the source in errors. */
  restorePrivateState(state: ReadonlyMap<string, StateEntry>, where: string): Promise<void>;
  dispose(): Promise<void>;
}

export function clientFacts(client: Client): ClientFacts {
  return {
    name: client.name,
    samples: client.samples,
    samplingRate: client.samplingRate,
    noise: client.noise,
    stepsPerEpoch: client.loader.length,
    poissonSampled: client.poissonSampled,
    unit: client.loader.unit,
    largestSubjectShare: largestSubjectShare(client.loader.items),
  };
}

/** A client trained in this thread, on this thread's engine. */
export function inProcessHandle(client: Client): ClientHandle {
  return {
    ...clientFacts(client),
    receive: (global) => client.receive(global),
    trainRound: (firstEpoch, localEpochs, hooks) => client.trainRound(firstEpoch, localEpochs, hooks),
    upload: () => client.upload(),
    privateState: () => client.privateState(),
    restorePrivateState: async (state, where) => client.restorePrivateState(state, where),
    dispose: async () => client.dispose(),
  };
}
