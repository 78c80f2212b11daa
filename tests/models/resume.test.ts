/**
 * Saving a model's state (every network's stateDict and both Adams') and
 * loading it into a new model with the same options continues the run: the
 * next step equals an uninterrupted one's bit for bit. UNIT's latent noise
 * and MUNIT's random styles are part of that only when the caller supplies
 * them (options.noise, keyed by the caller's own position, as fed/client.ts
 * keys them by epoch); the model's default stream is not saved and starts
 * again from the seed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nn, randn, Rng, type StateEntry, type Tensor } from '../../engine/index.js';
import { createModel, type GanModel, type ModelName, type ModelOptions } from '../../models/index.js';
import { hashedImage } from './fixture.js';

type NetworkStates = Record<string, Map<string, StateEntry>>;

interface Snapshot {
  generators: NetworkStates;
  discriminators: NetworkStates;
  generatorAdam: Map<string, StateEntry>;
  discriminatorAdam: Map<string, StateEntry>;
}

async function networkStates(networks: Readonly<Record<string, nn.Module>>): Promise<NetworkStates> {
  return Object.fromEntries(await Promise.all(Object.entries(networks).map(async ([role, net]) => [role, await net.stateDict()] as const)));
}

async function snapshot(model: GanModel): Promise<Snapshot> {
  return {
    generators: await networkStates(model.generators()),
    discriminators: await networkStates(model.discriminators()),
    generatorAdam: await model.generatorOptimizer.stateDict(),
    discriminatorAdam: await model.discriminatorOptimizer.stateDict(),
  };
}

function restore(model: GanModel, state: Snapshot): void {
  for (const [role, net] of Object.entries(model.generators())) net.loadStateDict(state.generators[role]!);
  for (const [role, net] of Object.entries(model.discriminators())) net.loadStateDict(state.discriminators[role]!);
  model.generatorOptimizer.loadStateDict(state.generatorAdam);
  model.discriminatorOptimizer.loadStateDict(state.discriminatorAdam);
}

async function parameterValues(model: GanModel): Promise<Float32Array[]> {
  return Promise.all([...model.generatorParameters(), ...model.discriminatorParameters()].map(([, p]) => p.data()));
}

/** A caller's noise source whose stream is keyed by the step it is told, as fed/client.ts keys its stream by epoch. */
class SteppedNoise {
  private rng = new Rng(0);
  at(step: number): void {
    this.rng = new Rng(1000 + step);
  }
  draw = (shape: readonly number[]): Tensor => randn(shape, { rng: this.rng });
}

/** Step 0, save, step 1 on the original; a new model restored from the save takes step 1. Both step 1s' losses and parameters. */
async function interruptedAndNot(name: ModelName, options: ModelOptions, noises?: [SteppedNoise, SteppedNoise]) {
  const size = options.size!;
  const batch = { a: hashedImage([2, 1, size, size], 30), b: hashedImage([2, 1, size, size], 31) };
  const first = createModel(name, { ...options, noise: noises?.[0].draw });
  noises?.[0].at(0);
  await first.trainStep(batch);
  const saved = await snapshot(first);
  noises?.[0].at(1);
  const uninterrupted = await first.trainStep(batch);
  const restored = createModel(name, { ...options, noise: noises?.[1].draw });
  restore(restored, saved);
  noises?.[1].at(1);
  const resumed = await restored.trainStep(batch);
  const values = [await parameterValues(first), await parameterValues(restored)];
  for (const t of [batch.a, batch.b]) t.dispose();
  first.dispose();
  restored.dispose();
  return { uninterrupted, resumed, values };
}

const cases: [ModelName, ModelOptions][] = [
  ['cyclegan', { width: 2, size: 32 }],
  ['unit', { width: 2, size: 32 }],
  ['munit', { width: 2, size: 64 }],
  ['hlhgan', { width: 2, size: 32 }],
  ['hypergan', { width: 2, size: 16 }],
];

for (const [name, options] of cases) {
  test(`${name}: a restored model's next step equals the uninterrupted one's, its noise from the caller`, async () => {
    const { uninterrupted, resumed, values } = await interruptedAndNot(name, options, [new SteppedNoise(), new SteppedNoise()]);
    assert.equal(resumed, uninterrupted);
    values[0]!.forEach((v, k) => assert.ok(v.every((x, j) => x === values[1]![k]![j]), `parameter ${k} differs`));
  });
}

test("unit and munit: the default noise stream is not saved, so a restored model draws its first noise again", async () => {
  for (const [name, options] of cases.filter(([n]) => n === 'unit' || n === 'munit')) {
    const { uninterrupted, resumed } = await interruptedAndNot(name, options);
    assert.is.not(resumed.generator, uninterrupted.generator, `${name}: the restored model drew different noise`);
  }
});

test.run();
