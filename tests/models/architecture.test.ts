/**
 * Every network's parameter names and shapes equal those of the PyTorch
 * mirror of the reference code (tests/fixtures/model_params.json, width 64),
 * and the CycleGAN counts equal those of DESIGN.md's "The reference code",
 * block by block.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memory, nn } from '../../engine/index.js';
import {
  CycleDiscriminator,
  ContrastDiscriminator,
  createModel,
  HighLowHigh,
  HyperGenerator,
  LowDiscriminator,
  MultiScaleDiscriminator,
  MunitDecoder,
  MunitEncoder,
  ResidualBlock,
  ResnetGenerator,
  UNetGenerator,
  UnitDecoder,
  UnitDiscriminator,
  UnitEncoder,
} from '../../models/index.js';
import { blockCounts, loadFixture, type ParamFixture } from './fixture.js';

const fixture = loadFixture<ParamFixture>('model_params.json');
const w = fixture.width;

/** Builds a network, hands it to check, frees it: width-64 networks hold up to 54 MB each. */
function withNetwork(make: () => nn.Module, check: (m: nn.Module) => void): void {
  const m = make();
  try {
    check(m);
  } finally {
    m.dispose();
  }
}

const builders: Record<string, () => nn.Module> = {
  'cyclegan.generator': () => new UNetGenerator(w),
  'cyclegan.discriminator': () => new CycleDiscriminator(w),
  'cyclegan-resnet.generator': () => new ResnetGenerator(w),
  'unit.encoder': () => new UnitEncoder(w, new ResidualBlock(4 * w)),
  'unit.decoder': () => new UnitDecoder(w, new ResidualBlock(4 * w)),
  'unit.sharedBlock': () => new ResidualBlock(4 * w),
  'unit.discriminator': () => new UnitDiscriminator(w),
  'munit.encoder': () => new MunitEncoder(w),
  'munit.decoder': () => new MunitDecoder(w),
  'munit.discriminator': () => new MultiScaleDiscriminator(w),
  'hlhgan.generator': () => new HighLowHigh(w),
  'hlhgan.lowDiscriminator': () => new LowDiscriminator(w),
  'hypergan.generator': () => new HyperGenerator(w),
  'hypergan.discriminator': () => new ContrastDiscriminator(w),
};

for (const [key, make] of Object.entries(builders)) {
  test(`${key} w=${w}: names and shapes as PyTorch's named_parameters`, () => {
    const expected = fixture.networks[key]!;
    withNetwork(make, (m) => {
      const ours = m.namedParameters().map(([name, p]) => [name, [...p.shape]]);
      assert.equal(ours, expected.parameters);
      assert.is(m.parameterCount(), expected.count);
    });
  });
}

test('fixture covers every network built here', () => {
  assert.equal(Object.keys(builders).sort(), Object.keys(fixture.networks).sort());
});


test('CycleGAN U-Net generator: 13,611,073 parameters (DESIGN.md, "The reference code"), per block as the table', () => {
  withNetwork(
    () => new UNetGenerator(64),
    (m) => {
      assert.is(m.parameterCount(), 13_611_073);
      assert.equal(blockCounts(m, 1), {
        down1: 640, down2: 73_856, down3: 295_168, down4: 1_180_160, down5: 2_359_808,
        up1: 4_194_816, up2: 4_194_560, up3: 1_048_704, up4: 262_208, final: 1_153,
      });
    },
  );
});

test('CycleGAN discriminator: 2,762,689 parameters (DESIGN.md, "The reference code"), per layer', () => {
  withNetwork(
    () => new CycleDiscriminator(64),
    (m) => {
      assert.is(m.parameterCount(), 2_762_689);
      assert.equal(blockCounts(m, 2), { 'model.0': 1_088, 'model.2': 131_200, 'model.5': 524_544, 'model.8': 2_097_664, 'fcn.weight': 8_192, 'fcn.bias': 1 });
    },
  );
});

test('HLHGAN high-low-high generator: 1,331,970 parameters, per layer as the table in models/hlhgan/networks.ts', () => {
  withNetwork(
    () => new HighLowHigh(64),
    (m) => {
      assert.is(m.parameterCount(), 1_331_970);
      assert.equal(blockCounts(m, 3), {
        'degrader.model.0': 640, 'degrader.model.3': 73_856, 'degrader.model.6': 295_168, 'degrader.model.7': 295_168, 'degrader.model.8': 1_153,
        'upgrader.model.0': 1_280, 'upgrader.model.3': 295_168, 'upgrader.model.4': 295_168, 'upgrader.model.6': 73_792, 'upgrader.model.9': 577,
      });
    },
  );
});

test('HLHGAN low-resolution discriminator: 133,441 parameters, per layer', () => {
  withNetwork(
    () => new LowDiscriminator(64),
    (m) => {
      assert.is(m.parameterCount(), 133_441);
      assert.equal(blockCounts(m, 2), { 'model.0': 1_088, 'model.2': 131_200, 'model.5': 1_153 });
    },
  );
});

test('UNIT: the shared blocks are one set of tensors, listed once in generatorParameters', () => {
  const model = createModel('unit', { width: 4, size: 32 });
  const g = model.generators();
  const encA = g.encoderA!.namedParameters();
  const encB = g.encoderB!.namedParameters();
  const shared = encA.filter(([name]) => name.startsWith('shared_block.'));
  assert.is(shared.length, 4);
  for (const [name, p] of shared) assert.ok(encB.find(([n]) => n === name)![1] === p, `${name} is shared`);
  const params = model.generatorParameters();
  assert.is(new Set(params.map(([, p]) => p)).size, params.length);
  assert.ok(params.some(([n]) => n === 'encoderA.shared_block.conv_block.1.weight'));
  assert.not.ok(params.some(([n]) => n === 'encoderB.shared_block.conv_block.1.weight'));
  const total = Object.values(g).reduce((n, m) => n + m.parameterCount(), 0);
  const sharedSize = 2 * (16 * 16 * 9 + 16); // two 3x3 convs of 16 channels, width 4
  assert.is(params.reduce((n, [, p]) => n + p.size, 0), total - 2 * sharedSize); // each shared block counted once, not twice
  model.dispose();
});

test('generatorParameters and discriminatorParameters name every network, for every model', () => {
  const expected: Record<string, [string[], string[]]> = {
    cyclegan: [['generatorAB', 'generatorBA'], ['discriminatorA', 'discriminatorB']],
    'cyclegan-resnet': [['generatorAB', 'generatorBA'], ['discriminatorA', 'discriminatorB']],
    unit: [['encoderA', 'encoderB', 'decoderA', 'decoderB'], ['discriminatorA', 'discriminatorB']],
    munit: [['encoderA', 'encoderB', 'decoderA', 'decoderB'], ['discriminatorA', 'discriminatorB']],
    hlhgan: [['generatorAB', 'generatorBA'], ['discriminatorA', 'discriminatorB', 'discriminatorLowA', 'discriminatorLowB']],
    hypergan: [['generator'], ['discriminator']],
  };
  const before = memory().tensors;
  for (const [name, [gens, discs]] of Object.entries(expected)) {
    const model = createModel(name as 'unit', { width: 2, size: 64 });
    assert.equal(Object.keys(model.generators()), gens);
    assert.equal(Object.keys(model.discriminators()), discs);
    const roots = (params: [string, unknown][]) => [...new Set(params.map(([n]) => n.split('.')[0]))];
    assert.equal(roots(model.generatorParameters()), gens);
    assert.equal(roots(model.discriminatorParameters()), discs);
    model.dispose();
  }
  assert.is(memory().tensors, before, 'dispose() frees parameters and optimizer state');
});

test.run();
