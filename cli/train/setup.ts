/**
 * From a TrainConfig to the objects a run needs: the slices, the train/test
 * split by subject, the clients (one for centralized training) with their
 * items, loaders and models, and the server's model that holds the global
 * generators for evaluation and checkpoints.
 */
import { BatchLoader, buildItems, contrastPairs, mixSeed, partitionClients, type Item, type Misalignment, type SliceDataset, type Subject } from '../../data/index.js';
import { Client, type PrivacySettings } from '../../fed/client.js';
import { createModel, trainsOnEveryContrast, type GanModel, type ModelOptions } from '../../models/index.js';
import type { Tensor } from '../../engine/index.js';
import { describeData, evaluationItems, loadSplit } from '../../data/fs/index.js';
import type { TrainConfig } from './config.js';

export interface TrainingSetup {
  dataset: SliceDataset;
  clients: Client[];
  /** Holds the global generators (FedAvg's result) for evaluation and checkpoints. */
  server: GanModel;
  /** Paired items of the held-out subjects. */
  testItems: Item[];
  /** One line per fact worth showing: data, split, clients. */
  summary: string[];
}

export function modelOptions(config: TrainConfig, seed: number, noise?: (shape: readonly number[]) => Tensor): ModelOptions {
  return { width: config.width, size: config.size, identity: config.identity, discriminators: config.discriminators, contrasts: [config.source, config.target], seed, lr: config.lr, noise };
}

/**
 * Client `k` (from 0) of a run, holding `subjects`: its seed, items, loader
 * and model follow from the config and k alone, so the simulation and a
 * Flower node given the same share build the same client.
 */
export function buildClient(config: TrainConfig, subjects: readonly Subject[], k: number, name: string): Client {
  const misalignment: Misalignment = config.misalign === 'slight' ? { mode: 'slight', level: config.misalignLevel } : { mode: config.misalign };
  const privacy: PrivacySettings | null = config.dp === 'off'
    ? null
    : { mechanism: config.dp, clip: config.clip, generatorShare: config.clipSplit, noise: config.noise, sensitivity: config.sensitivity };
  const seed = mixSeed(config.seed, k + 1);
  const items = buildItems(subjects, { pairedRatio: config.pairedRatio, seed, name });
  // Hyper-GAN's batches draw a pair of the contrasts this client's subjects hold (clients and subjects may hold different ones).
  const pairs = trainsOnEveryContrast(config.model) ? contrastPairs(subjects) : undefined;
  const loader = new BatchLoader(items, { source: config.source, target: config.target, pairs, batchSize: config.batch, seed, misalignment, unit: config.dp === 'dp-sgd' ? config.privacyUnit : 'slice' });
  return new Client(name, loader, (noise) => createModel(config.model, modelOptions(config, seed, noise)), seed, privacy);
}

/** Each client's training subjects: shares under the scheme (or weights), or all of them when centralized. */
export function clientShares(config: TrainConfig, train: readonly Subject[]): Subject[][] {
  return config.clients > 0
    ? partitionClients(train, { clients: config.clients, scheme: config.scheme, weights: config.weights ?? undefined, seed: config.seed })
    : [[...train]];
}

export async function buildSetup(config: TrainConfig): Promise<TrainingSetup> {
  const { dataset, train, test } = await loadSplit({ ...config, everyContrast: trainsOnEveryContrast(config.model) });
  const groups = clientShares(config, train);
  const clients = groups.map((subjects, k) => {
    // One client per hospital under the site scheme: name it after the hospital.
    const site = config.scheme === 'site' && !config.weights ? subjects[0]?.site : null;
    return buildClient(config, subjects, k, config.clients > 0 ? (site ?? `client${k + 1}`) : 'central');
  });
  const testItems = evaluationItems(test, config.seed);
  const server = createModel(config.model, modelOptions(config, config.seed));
  const summary = [
    `data: ${describeData(config, dataset)}, ${config.source} -> ${config.target}${dataset.contrasts.length > 2 ? ` (trained on ${dataset.contrasts.join(', ')})` : ''}, ${config.size}x${config.size} slices, z in [${dataset.sliceRange[0]}, ${dataset.sliceRange[1]})`,
    `split: ${train.length} training subjects, ${test.length} test subjects (${testItems.length} test slices)`,
    ...clients.map((c, k) => `${c.name}: ${groups[k]!.length} subjects, ${c.samples} items, ${c.loader.length} ${c.poissonSampled ? `Poisson-sampled steps (q ${c.samplingRate.toPrecision(3)} per ${c.loader.unit})` : 'batches'} per epoch`),
  ];
  return { dataset, clients, server, testItems, summary };
}
