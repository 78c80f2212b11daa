/**
 * DP-SGD's sanitiser in a few kernels: each sample's squared gradient norm
 * across all parameters (one kernel per parameter), and per parameter the
 * clipped sum with Gaussian noise drawn on the backend (one kernel). Not
 * recorded on the tape: they work on gradients.
 */
import type { RandomKey } from '../backend.js';
import { state } from '../state.js';
import { checkRandomKey } from './creation.js';
import { empty, type Tensor } from '../tensor.js';

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
  tensors.forEach((t, i) => state.backend.sumSquaresPerSample(t.handle, squares.handle, t.size / batch, i > 0));
  return squares;
}

export interface ClippedSumOptions {
  /** The noise's standard deviation (sigma * C), before `scale`. */
  noiseStd: number;
  /** Applied to the noised sum (1 / N for a mean). */
  scale: number;
  /** The noise's stream, as randomNormal draws it. */
  key: RandomKey;
}

/** scale * (sum over n of factors[n] * perSample[n] + noiseStd * randomNormal(shape, key)), perSample [N, ...shape]. */
export function clippedSumWithNoise(perSample: Tensor, factors: Tensor, o: ClippedSumOptions): Tensor {
  const batch = batchOf([perSample], 'clippedSumWithNoise');
  checkRandomKey(o.key, 'clippedSumWithNoise');
  if (factors.size !== batch) throw new Error(`clippedSumWithNoise: ${factors} should have one factor per sample (${batch})`);
  const y = empty(perSample.shape.slice(1));
  state.backend.clippedSumWithNoise(perSample.handle, factors.handle, y.handle, { batch, size: y.size, noiseStd: o.noiseStd, scale: o.scale, key: o.key });
  return y;
}
