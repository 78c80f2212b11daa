/**
 * Forward passes at width 4 equal PyTorch's (tests/fixtures/model_numerics.json)
 * with the same hashed weights and inputs, to 1e-4 relative.
 */
import { test } from 'uvu';
import { nn, noGrad, tidy, type Tensor } from '../../engine/index.js';
import {
  ContrastDiscriminator,
  contrastCodes,
  CycleDiscriminator,
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
import { assertClose, fillHashed, hashedImage, loadFixture, type NumericsFixture } from './fixture.js';

const fixture = loadFixture<NumericsFixture>('model_numerics.json');
const w = fixture.width;

type Case = [make: () => nn.Module, run: (m: nn.Module, x: Tensor) => Tensor[]];
const single = (m: nn.Module, x: Tensor) => [m.forward(x)];

const cases: Record<string, Case> = {
  'cyclegan.generator': [() => new UNetGenerator(w), single],
  'cyclegan.discriminator': [() => new CycleDiscriminator(w), single],
  'cyclegan-resnet.generator': [() => new ResnetGenerator(w), single],
  'unit.encoder': [() => new UnitEncoder(w, new ResidualBlock(4 * w)), single],
  'unit.decoder': [() => new UnitDecoder(w, new ResidualBlock(4 * w)), single],
  'unit.discriminator': [() => new UnitDiscriminator(w), single],
  'munit.encoder': [() => new MunitEncoder(w), (m, x) => Object.values((m as MunitEncoder).encode(x))],
  'munit.decoder': [() => new MunitDecoder(w), (m, x) => [(m as MunitDecoder).forward(x, hashedImage([2, 8, 1, 1], 9))]],
  'munit.discriminator': [() => new MultiScaleDiscriminator(w), (m, x) => (m as MultiScaleDiscriminator).judge(x)],
  'hlhgan.generator': [() => new HighLowHigh(w), single],
  'hlhgan.lowDiscriminator': [() => new LowDiscriminator(w), single],
  // sample 0 from T1 to PD, sample 1 from FLAIR to T1CE, as the script's
  'hypergan.generator': [() => new HyperGenerator(w), (m, x) => [(m as HyperGenerator).forward(x, contrastCodes([0, 3]), contrastCodes([2, 4]))]],
  'hypergan.discriminator': [() => new ContrastDiscriminator(w), (m, x) => Object.values((m as ContrastDiscriminator).both(x))],
};

for (const [key, [make, run]] of Object.entries(cases)) {
  const expected = fixture.forward[key]!;
  test(`${key} w=${w} x=[${expected.inputShape}]: forward as PyTorch`, async () => {
    const net = make();
    fillHashed(net, 0);
    const outputs = noGrad(() => tidy(() => run(net, hashedImage(expected.inputShape, expected.inputSalt))));
    for (const [i, out] of outputs.entries()) {
      const want = expected.outputs[i]!;
      assertClose([...out.shape], want.shape, 0, `${key} output ${i} shape`);
      assertClose(await out.data(), want.values, 1e-4, `${key} output ${i}`);
      out.dispose();
    }
    net.dispose();
  });
}

test.run();
