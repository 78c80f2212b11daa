/** The loss terms the GANs share (DESIGN.md, "The reference code", Hyper-parameters and Training step), mean-reduced as PyTorch's. */
import { add, exp, l1Loss, log, mean, mseLoss, mul, square, sub, sum, type Tensor } from '../engine/index.js';

/**
 * Least-squares GAN: the sum over a discriminator's outputs (one per scale)
 * of mean (output - target)^2, target 1 for real, 0 for fake. Never BCE.
 */
export function lsgan(outputs: readonly Tensor[], target: 0 | 1): Tensor {
  return sumAll(outputs.map((o) => mseLoss(o, target)));
}

/** mean |x - y|: the cycle, identity, reconstruction, style and content terms. */
export const l1 = l1Loss;

/** UNIT's KL term for a unit-variance Gaussian posterior: mean(mu^2) (the reference's compute_kl). */
export function kl(mu: Tensor): Tensor {
  return mean(square(mu));
}

/**
 * Cross-entropy of logits [N, C] against one-hot targets [N, C], averaged over
 * the batch (F.cross_entropy): log sum exp(z) - z_target. Without the max
 * shift (the engine has no max); float32 exp holds logits up to 88.
 */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  return mean(sub(log(sum(exp(logits), [1])), sum(mul(logits, targets), [1])));
}

export function sumAll(terms: readonly Tensor[]): Tensor {
  if (terms.length === 0) throw new Error('sumAll: no terms');
  return terms.slice(1).reduce((s, t) => add(s, t), terms[0]!);
}

/** sum of weight * term over the pairs. */
export function weightedSum(pairs: readonly (readonly [number, Tensor])[]): Tensor {
  return sumAll(pairs.map(([weight, term]) => (weight === 1 ? term : mul(term, weight))));
}
