/**
 * One generator pass and one discriminator pass equal PyTorch's (loss terms,
 * and every parameter's gradient through [sum |g|, sum g^2]) for each model
 * and identity variant, at width 4 with hashed weights, images and noise
 * (tests/fixtures/model_numerics.json).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '../../engine/index.js';
import { createModel, type GanModel, type IdentityVariant, type ModelName } from '../../models/index.js';
import { assertClose, fillHashed, gradSummary, hashedImage, loadFixture, type NumericsFixture } from './fixture.js';

const fixture = loadFixture<NumericsFixture>('model_numerics.json');

/** The script's Noise: the n-th draw of a step is the hashed image of its shape, salt 1000 + n. */
function hashedNoise(): (shape: readonly number[]) => Tensor {
  let draws = 0;
  return (shape) => hashedImage(shape, 1000 + ++draws);
}

/** Discriminator term names: PyTorch script's -> ours. */
const discriminatorNames: Record<string, string> = { discriminator: 'discriminator', real: 'discriminatorReal', fake: 'discriminatorFake', contrast: 'discriminatorContrast' };

async function values(named: Record<string, Tensor>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(named)) out[k] = await t.item();
  return out;
}

async function grads(params: [string, Tensor][]): Promise<Record<string, [number, number]>> {
  const out: Record<string, [number, number]> = {};
  for (const [name, p] of params) {
    assert.ok(p.grad, `${name} has a gradient`);
    out[name] = await gradSummary(p.grad!);
  }
  return out;
}

/**
 * Per-parameter summaries to 1e-3 relative, against the network's largest
 * one for the absolute part: a conv bias right before an InstanceNorm has a
 * true gradient of 0, so both sides hold rounding noise there.
 */
/**
 * Per-parameter summaries to 3e-3 relative (the absolute part scaled by the
 * network's largest, since a conv bias right before an InstanceNorm has a
 * true gradient of 0 and both sides hold rounding noise there). Why not
 * 1e-4: gradients jump at the kinks of ReLU and |.|, and these steps put
 * some kink inputs within float32 rounding of 0 (1e-7 seen in UNIT's
 * decoder), where float32 may take the other branch than the float64
 * reference; one such element moved a sum of squares by 1.4e-3. The losses
 * themselves are continuous and match to 1e-4.
 */
function compareGrads(ours: Record<string, [number, number]>, theirs: Record<string, [number, number]>, what: string): void {
  const names = Object.keys(theirs);
  assert.equal(Object.keys(ours), names, `${what}: parameter names`);
  for (const [part, label] of ['sum |g|', 'sum g^2'].entries()) {
    const scale = Math.max(...names.map((n) => theirs[n]![part]!));
    for (const name of names) assertClose([ours[name]![part]!], [theirs[name]![part]!], 3e-3, `${what} ${name} ${label}`, 1e-5 * scale);
  }
}

const models: [ModelName, string][] = [['cyclegan', 'cyclegan'], ['unit', 'unit'], ['munit', 'munit'], ['hlhgan', 'hlhgan'], ['hypergan', 'hypergan']];
for (const [name, key] of models) {
  for (const identity of ['standard', 'reference'] as IdentityVariant[]) {
    const expected = fixture.steps[`${key}.${identity}`]!;
    const [shape, saltA, saltB] = fixture.stepInputs[key]!;
    test(`${name} identity=${identity} w=4 batch [${shape}]: losses and gradients as PyTorch`, async () => {
      const model: GanModel = createModel(name, { width: fixture.width, size: shape[2], identity, noise: hashedNoise() });
      const networks = [...Object.values(model.generators()), ...Object.values(model.discriminators())];
      networks.forEach((net, i) => fillHashed(net, 100 * (i + 1)));
      const batch = { a: hashedImage(shape, saltA), b: hashedImage(shape, saltB) };

      const pass = model.generatorBackward(batch);
      assert.equal(Object.keys(pass.losses).sort(), Object.keys(expected.generator).sort());
      assertClose(Object.values(await values(pass.losses)), Object.keys(pass.losses).map((k) => expected.generator[k]!), 1e-4, 'generator losses', 0);
      compareGrads(await grads(model.generatorParameters()), expected.generatorGrads, 'generator');
      for (const [n, p] of model.discriminatorParameters()) assert.is(p.grad, null, `${n}: the generator pass leaves discriminators alone`);

      model.generatorOptimizer.zeroGrad();
      const dLosses = await values(model.discriminatorBackward(batch, pass.fakes));
      const dExpected = Object.fromEntries(Object.entries(expected.discriminator).map(([k, v]) => [discriminatorNames[k]!, v]));
      assert.equal(Object.keys(dLosses).sort(), Object.keys(dExpected).sort());
      assertClose(Object.values(dLosses), Object.keys(dLosses).map((k) => dExpected[k]!), 1e-4, 'discriminator losses', 0);
      compareGrads(await grads(model.discriminatorParameters()), expected.discriminatorGrads, 'discriminator');
      for (const [n, p] of model.generatorParameters()) assert.is(p.grad, null, `${n}: the discriminator pass sees detached fakes`);
      model.dispose();
    });
  }
}

test.run();
