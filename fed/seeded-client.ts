/**
 * Client k (from 0) of a run: its seed is mixSeed(the run's seed, k + 1),
 * and its items, loader and model follow from that seed alone, so that the
 * simulation, a Flower node given the same share (cli/train/setup.ts) and the
 * browser demo (web/demo.ts) build clients the same way. Browser-safe.
 */
import { BatchLoader, buildItems, mixSeed, type ItemOptions, type LoaderOptions, type Subject } from '../data/index.js';
import type { Tensor } from '../engine/index.js';
import type { GanModel } from '../models/index.js';
import { Client, type PrivacySettings } from './client.js';

export interface ClientRecipe {
  /** How many items, or the paired share (buildItems); their seed and name are the client's. */
  items: Omit<ItemOptions, 'seed' | 'name'>;
  /** The loader's settings; its seed is the client's. */
  loader: Omit<LoaderOptions, 'seed'>;
  /** The client's model from its seed and the noise source the Client gives it. */
  model: (seed: number, noise: (shape: readonly number[]) => Tensor) => GanModel;
  /** DP's settings for this loader (its sampling rate sets the noise); none without. */
  privacy?: (loader: BatchLoader) => PrivacySettings | null;
}

export function seededClient(runSeed: number, k: number, name: string, subjects: readonly Subject[], recipe: ClientRecipe): Client {
  const seed = mixSeed(runSeed, k + 1);
  const items = buildItems(subjects, { ...recipe.items, seed, name });
  const loader = new BatchLoader(items, { ...recipe.loader, seed });
  return new Client(name, loader, (noise) => recipe.model(seed, noise), seed, recipe.privacy?.(loader) ?? null);
}
