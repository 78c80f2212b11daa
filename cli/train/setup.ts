/**
 * From a TrainConfig to the objects a run needs: the slices, the train/test
 * split by subject, the clients (one for centralized training) with their
 * items, loaders and models, in this thread or in worker threads
 * (cli/train/placement.ts), and the server's model that holds the global
 * generators for evaluation and checkpoints.
 */
import { contrastPairs, DataError, partitionClients, type BatchLoader, type Item, type Misalignment, type SliceDataset, type Subject } from '../../data/index.js';
import { dpSampling, epsilonCaveat, type Client, type PrivacySettings } from '../../fed/client.js';
import { seededClient } from '../../fed/seeded-client.js';
import { PrivacyLedger } from '../../fed/dp/ledger.js';
import { PrivacyParameterError } from '../../fed/dp/accountant.js';
import { noiseForEpsilon } from '../../fed/dp/calibrate.js';
import type { DpRandomness } from '../../fed/dp/secret.js';
import { UsageError } from '../args.js';
import { createModel, trainsOnEveryContrast, type GanModel, type ModelOptions } from '../../models/index.js';
import { getBackend, type Tensor } from '../../engine/index.js';
import { describeData, driftWords, evaluationItems, loadSplit, unrecordedSplitNote } from '../../data/fs/index.js';
import { inProcessHandle, type ClientHandle } from './client-handle.js';
import { dpRandomnessOf, type TrainConfig } from './config.js';
import { assignClients, type Placement } from './placement.js';
import { startWorkerClients } from './worker-clients.js';
import { readCheckpoint } from '../checkpoint-model.js';
import { describeCheckpoint, type Checkpoint, type CheckpointMetadata } from '../../fed/checkpoint.js';
import { writeNamed } from '../../fed/state.js';
import type { ClientShare } from './worker-protocol.js';

export interface TrainingSetup {
  dataset: SliceDataset;
  /** In client order. */
  clients: ClientHandle[];
  /** Whether the clients may train at the same time (each worker has an engine of its own). */
  concurrent: boolean;
  /** Holds the global generators (FedAvg's result) for evaluation and checkpoints. */
  server: GanModel;
  /** Paired items of the held-out subjects. */
  testItems: Item[];
  /** Ids of the held-out subjects, as the run records them. */
  testSubjects: string[];
  /** One line per fact worth showing: data, split, clients, where they train. */
  summary: string[];
  /** Where the clients train, in words (the report's note). */
  placement: string;
}

export function modelOptions(config: TrainConfig, seed: number, noise?: (shape: readonly number[]) => Tensor): ModelOptions {
  return { width: config.width, size: config.size, identity: config.identity, discriminators: config.discriminators, contrasts: [config.source, config.target], seed, lr: config.lr, noise };
}

/**
 * Client `k` (from 0) of a run, holding `subjects`: its seed, items, loader
 * and model follow from the config and k alone, so the simulation and a
 * Flower node given the same share build the same client.
 */
export function buildClient(config: TrainConfig, subjects: readonly Subject[], k: number, name: string, nonFiniteLoss: PrivacySettings['nonFiniteLoss'] = 'stop'): Client {
  const misalignment: Misalignment = config.misalign === 'slight' ? { mode: 'slight', level: config.misalignLevel } : { mode: config.misalign };
  // Hyper-GAN's batches draw a pair of the contrasts this client's subjects hold (clients and subjects may hold different ones).
  const pairs = trainsOnEveryContrast(config.model) ? contrastPairs(subjects) : undefined;
  return seededClient(config.seed, k, name, subjects, {
    items: { pairedRatio: config.pairedRatio },
    loader: { source: config.source, target: config.target, pairs, batchSize: config.batch, misalignment, unit: config.dp === 'dp-sgd' ? config.privacyUnit : 'slice' },
    model: (seed, noise) => createModel(config.model, modelOptions(config, seed, noise)),
    privacy: (loader) =>
      config.dp === 'off'
        ? null
        : { mechanism: config.dp, clip: config.clip, generatorShare: config.clipSplit, noise: noiseMultiplier(config, loader), sensitivity: config.sensitivity, randomness: dpRandomnessOf(config), nonFiniteLoss },
  });
}

/** Counts by model settings: a run's clients share one. */
const parameterCounts = new Map<string, number>();

/**
 * How many coordinates DP-SGD's noise covers in the run's model (generators
 * and discriminators): the noise's cut tail costs delta in proportion to its
 * square root (fed/dp/noise_tail.ts). Undefined for other mechanisms, whose
 * figures assume exact Gaussian noise. Counted on a model built and dropped,
 * since the sigma search needs it before the client's model exists.
 */
export function noisedParameters(config: TrainConfig): number | undefined {
  if (config.dp !== 'dp-sgd') return undefined;
  const key = JSON.stringify([config.model, modelOptions(config, 0)]);
  let count = parameterCounts.get(key);
  if (count === undefined) {
    const model = createModel(config.model, modelOptions(config, 0));
    try {
      count = [...model.generatorParameters(), ...model.discriminatorParameters()].reduce((sum, [, p]) => sum + p.size, 0);
    } finally {
      model.dispose();
    }
    parameterCounts.set(key, count);
  }
  return count;
}

/** The run's privacy ledger (null without DP); `subjectShare`: the most items one subject holds at a client. */
export function privacyLedger(config: TrainConfig, subjectShare?: number): PrivacyLedger | null {
  if (config.dp === 'off') return null;
  return new PrivacyLedger({
    delta: config.delta,
    sampling: dpSampling(config.dp),
    unit: config.privacyUnit,
    subjectShare,
    noisedParameters: noisedParameters(config),
    caveat: epsilonCaveat(config.dp, dpRandomnessOf(config)),
  });
}

/**
 * The client's sigma: the run's --noise, or the one that spends --epsilon
 * over all its steps (every round's local epochs) at its own sampling rate.
 */
function noiseMultiplier(config: TrainConfig, loader: BatchLoader): number {
  if (config.noise !== null) return config.noise;
  const steps = loader.length * config.localEpochs * config.rounds;
  try {
    return noiseForEpsilon(config.epsilon!, { q: loader.samplingRate, steps }, { delta: config.delta, sampling: 'poisson', noisedParameters: noisedParameters(config) });
  } catch (e) {
    if (e instanceof PrivacyParameterError && e.parameter === 'epsilon') throw new UsageError(`--epsilon ${e.requirement}`); // a target out of reach
    throw e;
  }
}

/** Each client's training subjects: shares under the scheme (or weights), or all of them when centralized. */
export function clientShares(config: TrainConfig, train: readonly Subject[]): Subject[][] {
  return config.clients > 0
    ? partitionClients(train, { clients: config.clients, scheme: config.scheme, weights: config.weights ?? undefined, seed: config.seed })
    : [[...train]];
}

/** Where a private run's sampling and noise come from, in words (fed/dp/secret.ts); `kept` says where the key lives. */
export function randomnessLine(randomness: DpRandomness, kept: string): string {
  return randomness === 'secret'
    ? `DP randomness: a secret key per client from the system's cryptographic generator, kept in ${kept}`
    : 'DP randomness: from --seed (--dp-randomness seeded): the run repeats bit for bit, and its epsilon is no guarantee';
}

/** Where the run's clients train: in turn in this thread by default. */
export interface SetupOptions {
  placement?: Placement;
  /** Continuing a run: its split must be the one it recorded. */
  resume?: boolean;
}

export async function buildSetup(config: TrainConfig, options: SetupOptions = {}): Promise<TrainingSetup> {
  const placement = options.placement ?? { workers: 1, why: '--workers 1' };
  // Read and checked before the data and the clients: a wrong --start-from fails at once. A resumed run's generators are its checkpoint's.
  const start = config.startFrom && !options.resume ? await startingGenerators(config, config.startFrom) : null;
  const { dataset, train, test, drift } = await loadSplit({ ...config, everyContrast: trainsOnEveryContrast(config.model) });
  // A resumed run that trained on a subject it now holds out (or the reverse) would mix train and test: refuse it.
  if (drift) throw new DataError(config.data, `no longer gives the run's split (${driftWords(drift)}); resume with the data the run started with`);
  const unchecked = options.resume && !config.testSubjects ? [`note: ${unrecordedSplitNote(config)}`] : [];
  const shares: ClientShare[] = clientShares(config, train).map((subjects, k) => {
    // One client per hospital under the site scheme: name it after the hospital.
    const site = config.scheme === 'site' && !config.weights ? subjects[0]?.site : null;
    return { k, name: config.clients > 0 ? (site ?? `client${k + 1}`) : 'central', subjects };
  });
  const { clients, words } = await startClients(config, shares, placement).catch((e: unknown) => {
    // Too little data left is easier to read with what was left out (train prints the list only once setup succeeds).
    if (e instanceof Error && dataset.skipped.length) e.message += ` (after leaving out ${dataset.skipped.length} subject${dataset.skipped.length === 1 ? '' : 's'}: ${dataset.skipped.map((s) => s.id).join(', ')})`;
    throw e;
  });
  const testItems = evaluationItems(test, config.seed);
  let server: GanModel | undefined;
  try {
    server = createModel(config.model, modelOptions(config, config.seed));
    if (start) writeNamed(server.generatorParameters(), start.tensors, `--start-from ${start.file}`); // round 1 sends them to every client
  } catch (e) {
    server?.dispose();
    await Promise.all(clients.map((c) => c.dispose()));
    throw e;
  }
  const summary = [
    `data: ${describeData(config, dataset)}, ${config.source} -> ${config.target}${dataset.contrasts.length > 2 ? ` (trained on ${dataset.contrasts.join(', ')})` : ''}, ${config.size}x${config.size} slices, z in [${dataset.sliceRange[0]}, ${dataset.sliceRange[1]})`,
    `split: ${train.length} training subjects, ${test.length} test subjects (${testItems.length} test slices)`,
    ...unchecked,
    ...(start ? [`start: generators from ${start.file} (${describeCheckpoint(start.metadata)}), not fresh weights`] : []),
    ...clients.map((c, k) => `${c.name}: ${shares[k]!.subjects.length} subjects, ${c.samples} items, ${c.stepsPerEpoch} ${c.poissonSampled ? `Poisson-sampled steps (q ${c.samplingRate.toPrecision(3)} per ${c.unit})` : 'batches'} per epoch${config.epsilon === undefined ? '' : `, sigma ${c.noise} to spend epsilon ${config.epsilon}`}`),
    ...(config.dp === 'off' ? [] : [randomnessLine(dpRandomnessOf(config), 'its checkpoints')]),
    words,
  ];
  return { dataset, clients, concurrent: placement.workers > 1, server, testItems, testSubjects: test.map((s) => s.id), summary, placement: words };
}

/**
 * The generators a new run starts from: the checkpoint `given`, which must be
 * of this run's model, direction, width and size. Everything else
 * (discriminators, optimisers) starts fresh.
 */
export async function startingGenerators(config: TrainConfig, given: string): Promise<Checkpoint> {
  const checkpoint = await readCheckpoint(given).catch((e: unknown) => {
    throw new Error(`--start-from ${(e as Error).message}`); // its messages begin with the path
  });
  const m = checkpoint.metadata;
  const wanted: CheckpointMetadata = { model: config.model, source: config.source, target: config.target, width: config.width, size: config.size, identity: config.identity };
  const differs = (['model', 'source', 'target', 'width', 'size'] as const).filter((k) => m[k] !== wanted[k]); // what shapes and names the generators
  if (differs.length) {
    throw new UsageError(`--start-from ${given}: holds ${describeCheckpoint(m)} generators, but this run trains ${describeCheckpoint(wanted)} (${differs.join(', ')} differ)`);
  }
  return checkpoint;
}

/** The clients as `placement` says, and where they train in words (the summary's and the report's line). */
async function startClients(config: TrainConfig, shares: ClientShare[], placement: Placement): Promise<{ clients: ClientHandle[]; words: string }> {
  if (placement.workers === 1) {
    const clients: ClientHandle[] = [];
    try {
      for (const s of shares) clients.push(inProcessHandle(buildClient(config, s.subjects, s.k, s.name)));
    } catch (e) {
      await Promise.all(clients.map((c) => c.dispose())); // an experiment goes on in this process: the ones built must not stay
      throw e;
    }
    return { clients, words: `clients: trained in turn in one thread (${placement.why})` };
  }
  const backend = getBackend().name as 'wasm' | 'js'; // placeClients keeps webgpu in one thread
  // A client's work grows with its slices (items and steps follow from them).
  const groups = assignClients(shares.map((s) => s.subjects.reduce((n, subject) => n + subject.z.length, 0)), placement.workers);
  const clients = await startWorkerClients({ config, backend, threads: placement.threads }, shares, groups);
  const who = groups.map((g) => g.map((i) => shares[i]!.name).join('+')).join(', ');
  const threads = backend === 'wasm' ? `, ${placement.threads} wasm thread${placement.threads === 1 ? '' : 's'} each` : '';
  return { clients, words: `clients: trained at once in ${placement.workers} worker threads (${who})${threads} (${placement.why})` };
}
