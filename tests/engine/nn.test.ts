/**
 * engine/nn: PyTorch state_dict names and shapes, loading PyTorch's weights
 * (same forward output), the stateDict round trip, and PyTorch's default
 * initialisation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getBackend, leakyRelu, manualSeed, memory, nn, profileBackend, randn, reshape, Rng, tanh, useBackend, type Tensor } from '../../engine/index.js';
import { sizeOf } from '../../engine/strides.js';
import { assertTensorClose, fixtureTensor, loadFixture, unpack, type Packed } from '../helpers/fixtures.js';

interface NnFixture {
  stateDict: { name: string; shape: number[]; values: Packed }[];
  input: Packed;
  output: Packed;
  init: { layer: string; params: InitEntry[] }[];
}

interface InitEntry {
  name: string;
  shape: number[];
  bound?: number;
  constant?: number;
  torchStd?: number;
}

const fixture = loadFixture<NnFixture>('nn');

/** The fixture's architecture: Conv2d, InstanceNorm2d(affine), LeakyReLU, ConvTranspose2d, Flatten, Linear. */
function fixtureModel(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, padMode: 'reflect' }),
    new nn.InstanceNorm2d(4, { affine: true }),
    nn.LeakyReLU(0.2),
    new nn.ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1 }),
    new nn.Lambda('Flatten', (x) => reshape(x, [x.shape[0]!, -1])),
    new nn.Linear(2 * 8 * 8, 3),
  );
}

function fixtureState(): Map<string, nn.StateEntry> {
  return new Map(fixture.stateDict.map((e) => [e.name, { shape: e.shape, values: unpack(e.values) }]));
}

test("parameter names and shapes are PyTorch's state_dict", () => {
  const model = fixtureModel();
  const names = model.namedParameters().map(([name, p]) => [name, [...p.shape]]);
  assert.equal(names, fixture.stateDict.map((e) => [e.name, e.shape]));
  assert.is(model.parameterCount(), fixture.stateDict.reduce((n, e) => n + sizeOf(e.shape), 0));
  model.dispose();
});

test("with PyTorch's weights loaded, the forward pass gives PyTorch's output", async () => {
  const model = fixtureModel();
  model.loadStateDict(fixtureState());
  const x = fixtureTensor(fixture.input);
  await assertTensorClose(model.forward(x), fixture.output, 1e-4, 'Sequential forward');
  model.dispose();
});

test('stateDict() and loadStateDict() round trip', async () => {
  manualSeed(1);
  const a = fixtureModel();
  manualSeed(2);
  const b = fixtureModel();
  const x = fixtureTensor(fixture.input);
  const before = memory();
  b.loadStateDict(await a.stateDict());
  assert.equal(memory(), before); // loading replaces storage, it does not add any
  const stateA = await a.stateDict();
  const stateB = await b.stateDict();
  assert.equal([...stateB.keys()], [...stateA.keys()]);
  for (const [name, entry] of stateA) assert.equal([...stateB.get(name)!.values], [...entry.values], name);
  assert.equal([...(await b.forward(x).data())], [...(await a.forward(x).data())]);
  a.dispose();
  b.dispose();
});

test('loadStateDict refuses missing, unexpected and misshapen entries', () => {
  const model = fixtureModel();
  const state = fixtureState();
  state.delete('1.bias');
  state.set('7.weight', { shape: [1], values: new Float32Array(1) });
  assert.throws(() => model.loadStateDict(state), /missing \[1\.bias\], unexpected \[7\.weight\]/);
  const misshapen = fixtureState();
  misshapen.set('5.bias', { shape: [1, 3], values: new Float32Array(3) });
  assert.throws(() => model.loadStateDict(misshapen), /5\.bias is \[1,3\] in the state, \[3\] in the module/);
  model.dispose();
});

/** Nested fields and arrays of modules, as a model file declares them. */
class Block extends nn.Module {
  readonly conv = new nn.Conv2d(2, 2, 3, { bias: false });
  readonly norm = new nn.InstanceNorm2d(2, { affine: true });
  forward(x: Tensor): Tensor {
    return this.norm.forward(this.conv.forward(x));
  }
}

class Net extends nn.Module {
  readonly stem = new nn.Conv2d(1, 2, 3);
  readonly blocks = [new Block(), new Block()];
  readonly style = new nn.LayerNorm(2);
  readonly head = new nn.Sequential(nn.ReLU(), new nn.Linear(4, 1));
  forward(x: Tensor): Tensor {
    return x;
  }
}

test('fields, arrays of modules and Sequential children give dotted PyTorch paths', () => {
  const net = new Net();
  assert.equal(net.namedParameters().map(([name]) => name), [
    'stem.weight', 'stem.bias',
    'blocks.0.conv.weight', 'blocks.0.norm.weight', 'blocks.0.norm.bias',
    'blocks.1.conv.weight', 'blocks.1.norm.weight', 'blocks.1.norm.bias',
    'style.gamma', 'style.beta',
    'head.1.weight', 'head.1.bias',
  ]);
  net.dispose();
});

/** A layer of the fixture's init section, built by the engine. */
function initLayer(label: string): nn.Module {
  switch (label) {
    case 'Conv2d(16, 32, 3)': return new nn.Conv2d(16, 32, 3);
    case 'ConvTranspose2d(32, 16, 4)': return new nn.ConvTranspose2d(32, 16, 4);
    case 'Linear(64, 48)': return new nn.Linear(64, 48);
    case 'InstanceNorm2d(8, affine=True)': return new nn.InstanceNorm2d(8, { affine: true });
    default: throw new Error(`no engine layer for ${label}`);
  }
}

for (const { layer, params } of fixture.init) {
  test(`${layer}: PyTorch's default initialisation`, async () => {
    manualSeed(3);
    const module = initLayer(layer);
    const own = module.namedParameters();
    assert.equal(own.map(([name, p]) => [name, [...p.shape]]), params.map((e) => [e.name, e.shape]));
    for (const [[name, p], expected] of own.map((entry, i) => [entry, params[i]!] as const)) {
      const values = await p.data();
      if (expected.constant !== undefined) {
        values.forEach((v) => assert.is(v, expected.constant, `${layer} ${name}`));
        continue;
      }
      // uniform(-bound, bound): inside the bound, reaching near it, with standard deviation bound / sqrt(3).
      const bound = expected.bound!;
      const maxAbs = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
      assert.ok(maxAbs <= bound, `${layer} ${name}: max |value| ${maxAbs} above the bound ${bound}`);
      assert.ok(maxAbs >= bound * (values.length > 1000 ? 0.99 : 0.5), `${layer} ${name}: max |value| ${maxAbs} far below the bound ${bound}`);
      const spread = values.length > 1000 ? 0.05 : 0.35;
      assert.ok(Math.abs(std / (bound / Math.sqrt(3)) - 1) < spread, `${layer} ${name}: std ${std}, uniform gives ${bound / Math.sqrt(3)}`);
      assert.ok(Math.abs(expected.torchStd! / (bound / Math.sqrt(3)) - 1) < spread, `${layer} ${name}: PyTorch's own std disagrees`);
    }
    module.dispose();
  });
}

test("MUNIT's LayerNorm: gamma uniform in [0, 1), beta zero", async () => {
  const norm = new nn.LayerNorm(64);
  const gamma = await norm.gamma!.data();
  assert.ok(gamma.every((v) => v >= 0 && v < 1));
  assert.ok(Math.max(...gamma) > 0.9 && Math.min(...gamma) < 0.1);
  assert.ok((await norm.beta!.data()).every((v) => v === 0));
  norm.dispose();
});

test('bias: false leaves the bias out of the state_dict', () => {
  const conv = new nn.Conv2d(2, 3, 3, { bias: false });
  assert.equal(conv.namedParameters().map(([name]) => name), ['weight']);
  conv.dispose();
});

test('Sequential runs a convolution and the activation after it as one kernel, with the same values', async () => {
  const plain = getBackend();
  const profiler = profileBackend(plain);
  useBackend(profiler.backend); // before any tensor: tensors belong to the backend object they were made on
  try {
    manualSeed(5);
    const conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
    const convT = new nn.ConvTranspose2d(3, 2, 4, { stride: 2, padding: 1 });
    const model = new nn.Sequential(conv, nn.LeakyReLU(0.2), convT, nn.Tanh());
    const x = randn([2, 2, 5, 5], { rng: new Rng(3) });
    const composed = await tanh(convT.forward(leakyRelu(conv.forward(x), 0.2))).data();
    profiler.reset();
    const fused = await model.forward(x).data();
    const kernels = (await profiler.stats()).map((s) => s.kernel).sort();
    assert.equal(kernels, ['conv2d', 'conv2dBackwardData'], 'no separate bias or activation kernels');
    assert.equal([...fused], [...composed]);
  } finally {
    useBackend(plain);
  }
});

test.run();
