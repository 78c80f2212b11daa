/**
 * DP-SGD's sanitiser in two kernel calls for a whole group of parameters:
 * each sample's squared gradient norm across all of them, and their clipped
 * sums with Gaussian noise drawn on the backend. Not recorded on the tape:
 * they work on gradients.
 */
import type { RandomKey } from '../backend.js';
import { state } from '../state.js';
import { fullRandomKey } from './creation.js';
import { empty, output, type Tensor } from '../tensor.js';

function batchOf(tensors: readonly Tensor[], op: string): number {
  const batch = tensors[0]?.shape[0];
  if (batch === undefined) throw new Error(`${op}: needs at least one tensor with a batch axis`);
  const odd = tensors.find((t) => t.rank < 1 || t.shape[0] !== batch);
  if (odd) throw new Error(`${op}: ${odd} does not have the batch size ${batch} of the first tensor on axis 0`);
  return batch;
}

/** [N]: each sample's sum of squares over every tensor, all [N, ...]. */
export function perSampleSquaredNorms(tensors: readonly Tensor[]): Tensor {
  const batch = batchOf(tensors, 'perSampleSquaredNorms');
  const squares = empty([batch]);
  state.backend.sumSquaresPerSample(tensors.map((t) => t.handle), squares.handle);
  return squares;
}

export interface ClippedSumOptions {
  /** The noise's standard deviation (sigma * C), before `scale`. */
  noiseStd: number;
  /** Applied to the noised sum (1 / N for a mean). */
  scale: number;
  /** The first tensor's noise stream, as randomNormal draws it; tensor k's is the same key with counter + k. */
  key: RandomKey;
}

/**
 * For each perSample[k] [N, ...shape_k]: scale * (sum over n of factors[n] *
 * perSample[k][n] + noiseStd * randomNormal(shape_k, key with counter + k)).
 */
export function clippedSumWithNoise(perSample: readonly Tensor[], factors: Tensor, o: ClippedSumOptions): Tensor[] {
  const batch = batchOf(perSample, 'clippedSumWithNoise');
  const key = fullRandomKey(o.key, 'clippedSumWithNoise');
  fullRandomKey({ ...key, counter: key.counter + perSample.length - 1 }, 'clippedSumWithNoise (the last tensor\'s counter)');
  if (factors.size !== batch) throw new Error(`clippedSumWithNoise: ${factors} should have one factor per sample (${batch})`);
  const ys = perSample.map((t) => output(t.shape.slice(1)));
  state.backend.clippedSumWithNoise(perSample.map((t) => t.handle), factors.handle, ys.map((y) => y.handle), { batch, noiseStd: o.noiseStd, scale: o.scale, key });
  return ys;
}
