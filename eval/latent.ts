/**
 * The paper's latent-space figure (FedMed-GAN, section 6.2.2 and Fig. 5):
 * the output of a U-Net generator's fifth down-sampling block is the latent
 * space; each sample's is reduced to a point by splitting its last dimension
 * into two halves, x and y, and averaging everything else; 400 samples of
 * each kind (real A, fake A, real B, fake B) are drawn as a scatter plot.
 *
 * Which encoder: the paper says "the latent space of generators" and no
 * more. Here each domain is read by the generator that takes it as input:
 * real A and fake A = G_ba(real B) through G_ab's down blocks, real B and
 * fake B = G_ab(real A) through G_ba's, so a real kind and its fake share
 * one latent space, which is what the paper compares (fidelity: how far
 * fake A lies from real A; diversity: how far fake A spreads).
 *
 * The U-Net always has five down blocks (its input side is a multiple of
 * 32). At 32 px (the tiny scale) the fifth block's output is 1 x 1, which
 * its instance norm sets to 0 in every channel, whatever the image: that
 * latent space is a single point. There the fourth block (2 x 2) is read
 * instead, and the figure's title says which block it shows. An odd last
 * dimension gives its first half the extra element, as torch.chunk(2, -1).
 */
import { noGrad, Rng, sizeOf, tidy, type Tensor } from '../engine/index.js';
import { BatchLoader, type Contrast, type Item } from '../data/index.js';
import { sampleWithoutReplacement } from '../data/seed.js';
import { UNetGenerator, type GanModel } from '../models/index.js';
import { lineChart } from './plot.js';

export const latentKinds = ['realA', 'fakeA', 'realB', 'fakeB'] as const;
export type LatentKind = (typeof latentKinds)[number];
export type LatentPoints = Record<LatentKind, [number, number][]>;

/** The paper's colours: red real A, blue fake A, green real B, black fake B. */
const kindColor: Record<LatentKind, string> = { realA: '#d62728', fakeA: '#1f77b4', realB: '#2ca02c', fakeB: '#222222' };

/**
 * Each sample of `values` (shape [N, ...rest], row-major) as (x, y): the
 * means over the first and the second half of its last dimension, each
 * averaged over every other dimension.
 */
export function reduceLatent(values: Float32Array, shape: readonly number[]): [number, number][] {
  const [n, ...rest] = shape;
  const perSample = sizeOf(rest);
  if (n === undefined || values.length !== n * perSample) throw new Error(`reduceLatent: ${values.length} values do not fill shape [${shape.join(', ')}]`);
  const last = rest.at(-1) ?? 1;
  if (last < 2) throw new Error(`reduceLatent: the last dimension of shape [${shape.join(', ')}] has ${last} element, too few to split into x and y`);
  const firstHalf = Math.ceil(last / 2);
  const countX = (perSample / last) * firstHalf;
  const points: [number, number][] = [];
  for (let s = 0; s < n; s++) {
    let [sumX, sumY] = [0, 0];
    for (let i = 0; i < perSample; i++) {
      const v = values[s * perSample + i]!;
      if (i % last < firstHalf) sumX += v;
      else sumY += v;
    }
    points.push([sumX / countX, sumY / (perSample - countX)]);
  }
  return points;
}

/** G_ab and G_ba of a model whose generators are U-Nets; one line naming the model otherwise. */
export function unetGenerators(model: GanModel): { ab: UNetGenerator; ba: UNetGenerator } {
  const { generatorAB, generatorBA } = model.generators();
  if (!(generatorAB instanceof UNetGenerator && generatorBA instanceof UNetGenerator)) {
    throw new Error(`the latent-space figure is not supported for ${model.name}: it reads a U-Net generator's fifth down block, and only cyclegan (U-Net) has one`);
  }
  return { ab: generatorAB, ba: generatorBA };
}

/** The down block whose output is the latent space at slice side `size`: the fifth, or the fourth at 32 px (see above). */
export function latentBlock(size: number): 4 | 5 {
  return size >= 64 ? 5 : 4;
}

/** Down block `block`'s output for images x [N, 1, H, W] (the fifth's: [N, 8 width, H/32, W/32]). The caller owns it. */
export function unetLatent(g: UNetGenerator, x: Tensor, block: 4 | 5): Tensor {
  const blocks = [g.down1, g.down2, g.down3, g.down4, g.down5].slice(0, block);
  return noGrad(() => tidy(() => blocks.reduce((h, down) => down.forward(h), x)));
}

/**
 * `samples` paired items drawn at random (seeded): from the test items, and
 * from the training items only when the test set has too few; all of them
 * when both together have too few.
 */
export function latentSampleItems(test: readonly Item[], train: readonly Item[], samples: number, seed: number): { items: Item[]; fromTest: number; fromTrain: number } {
  const rng = new Rng(seed);
  const draw = (pool: readonly Item[], k: number) => sampleWithoutReplacement(pool.length, Math.min(k, pool.length), rng).map((i) => pool[i]!);
  const fromTest = draw(test, samples);
  const fromTrain = draw(train, samples - fromTest.length);
  return { items: [...fromTest, ...fromTrain], fromTest: fromTest.length, fromTrain: fromTrain.length };
}

/** The four kinds' points for paired items (a: the source contrast, b: the target), from down block latentBlock(slice side). */
export async function latentPoints(model: GanModel, items: readonly Item[], options: { source: Contrast; target: Contrast; batchSize?: number }): Promise<LatentPoints> {
  const { ab, ba } = unetGenerators(model);
  const loader = new BatchLoader(items, { source: options.source, target: options.target, batchSize: options.batchSize ?? 8, shuffle: false });
  const points: LatentPoints = { realA: [], fakeA: [], realB: [], fakeB: [] };
  const block = latentBlock(loader.size);
  const add = async (kind: LatentKind, encoder: UNetGenerator, images: Tensor) => {
    const latent = unetLatent(encoder, images, block);
    try {
      points[kind].push(...reduceLatent(await latent.data(), latent.shape));
    } finally {
      latent.dispose();
    }
  };
  for (const batch of loader.epoch(0)) {
    const fakeB = model.translate(batch.a, 'a2b');
    const fakeA = model.translate(batch.b, 'b2a');
    try {
      await add('realA', ab, batch.a);
      await add('fakeA', ab, fakeA);
      await add('realB', ba, batch.b);
      await add('fakeB', ba, fakeB);
    } finally {
      for (const t of [batch.a, batch.b, fakeA, fakeB]) t.dispose();
    }
  }
  return points;
}

/** The scatter plot as an SVG document: one colour per kind, named with its contrast. */
export function latentChart(points: LatentPoints, options: { title: string; source: Contrast; target: Contrast }): string {
  const contrast: Record<LatentKind, Contrast> = { realA: options.source, fakeA: options.source, realB: options.target, fakeB: options.target };
  const label: Record<LatentKind, string> = { realA: 'real A', fakeA: 'fake A', realB: 'real B', fakeB: 'fake B' };
  return lineChart({
    title: options.title,
    xLabel: 'x: mean over the first half of the last dimension',
    yLabel: 'y: mean over the second half',
    scatter: true,
    width: 520,
    height: 420,
    series: latentKinds.map((kind) => ({ name: `${label[kind]} (${contrast[kind]}, ${points[kind].length})`, color: kindColor[kind], points: points[kind] })),
  });
}
