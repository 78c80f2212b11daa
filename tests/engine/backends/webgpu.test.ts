/**
 * The webgpu backend's plumbing: zeroed and pooled storage, ordering of
 * uploads against queued kernels, batching, memory accounting (a training
 * loop holds it flat), errors and device loss, GPU timing, the embedded
 * shaders and 'auto'. Its kernels are checked in tests/engine/kernels.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { suite, test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { HandleError, type Handle } from '../../../engine/backend.js';
import { JsBackend } from '../../../engine/backends/js/index.js';
import { gemmTile } from '../../../engine/backends/webgpu/conv.js';
import { mergeAxes } from '../../../engine/strides.js';
import { DeviceLostError, WebGpuError, type WebGpuBackend } from '../../../engine/backends/webgpu/index.js';
import { shaders } from '../../../engine/backends/webgpu/shaders.generated.js';
import { autoReason, conv2d, getBackend, l1Loss, memory, optim, randn, Rng, setBackend, tanh, tidy } from '../../../engine/index.js';
import { state } from '../../../engine/state.js';
import { everyBackend, startWebGpu, testOn } from '../../helpers/backends.js';

const plain = suite('webgpu helpers');

plain('the embedded shaders are the kernels/wgsl files, their _fragments included', () => {
  const dir = new URL('../../../../kernels/wgsl/', import.meta.url);
  const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');
  const withIncludes = (text: string): string =>
    text.replace(/^\/\/! include (\S+)$/gm, (_, fragment: string) => withIncludes(read(fragment).trimEnd()));
  const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl') && !f.startsWith('_'));
  assert.equal(Object.keys(shaders).sort(), files.map((f) => f.replace('.wgsl', '')).sort());
  for (const f of files) {
    const name = f.replace('.wgsl', '') as keyof typeof shaders;
    const expected = withIncludes(read(f));
    assert.ok(shaders[name] === expected, `${f} changed since the last build: run npm run build:ts`);
  }
  assert.ok(shaders.conv.includes('fn unaryOp(') && shaders.elementwise.includes('fn unaryOp('), 'both shaders take in _unary.wgsl');
  assert.ok(shaders.elementwise.includes('const unary_leakyRelu = '), '_unary.wgsl takes in the generated op codes');
});

plain('mergeAxes drops size-1 axes and merges axes every operand walks as one', () => {
  assert.equal(mergeAxes([2, 3, 4], [[12, 4, 1], [12, 4, 1]]), { shape: [24], strides: [[1], [1]] });
  // A channel bias over NCHW: [n, c, h*w] with the bias striding only over c.
  assert.equal(mergeAxes([2, 3, 4, 5], [[60, 20, 5, 1], [0, 1, 0, 0]]), { shape: [2, 3, 20], strides: [[60, 20, 1], [0, 1, 0]] });
  assert.equal(mergeAxes([1, 1], [[1, 1], [0, 0]]), { shape: [], strides: [[], []] });
  assert.equal(mergeAxes([3, 1, 5], [[5, 5, 1], [1, 0, 0]]), { shape: [3, 5], strides: [[5, 1], [1, 0]] });
});

const limits = (overrides: Partial<GPUSupportedLimits>) =>
  ({
    maxComputeInvocationsPerWorkgroup: 256,
    maxComputeWorkgroupSizeX: 256,
    maxComputeWorkgroupSizeY: 256,
    maxComputeWorkgroupStorageSize: 16384,
    ...overrides,
  }) as GPUSupportedLimits;

plain('gemmTile fits the adapter limits and keeps the kernel constraints', () => {
  for (const l of [limits({}), limits({ maxComputeInvocationsPerWorkgroup: 128 }), limits({ maxComputeWorkgroupStorageSize: 4096 }), limits({ maxComputeWorkgroupSizeY: 8 })]) {
    for (const rows of [1, 4, 5, 16, 32, 33, 500]) {
      const t = gemmTile(l, rows);
      assert.ok(t.WG_X * t.WG_Y <= l.maxComputeInvocationsPerWorkgroup, 'invocations');
      assert.ok(t.WG_Y <= l.maxComputeWorkgroupSizeY, 'height');
      assert.ok(4 * (t.WG_X + t.WG_Y) * t.TILE_K * 4 <= l.maxComputeWorkgroupStorageSize, 'workgroup memory');
      assert.is((t.WG_X * t.WG_Y) % t.TILE_K, 0);
      assert.is(t.TILE_K % 4, 0);
    }
  }
  assert.equal(gemmTile(limits({}), 500), { WG_X: 16, WG_Y: 16, TILE_K: 16 });
  assert.throws(() => gemmTile(limits({ maxComputeInvocationsPerWorkgroup: 16 }), 64), /too small/);
});

plain.run();

const on = everyBackend.find((b) => b.label === 'webgpu')!;
/** A webgpu test with the shared backend (skipped where there is none). */
const test = (name: string, fn: (b: WebGpuBackend) => Promise<void> | void) => testOn(on, name, (b) => fn(b as WebGpuBackend));
/** A fresh webgpu backend, for tests that break its device. */
const fresh = async () => (await startWebGpu()) as WebGpuBackend;

test('describe() names the adapter', (b) => {
  assert.ok(b.adapterName.length > 0);
  assert.ok(b.describe().includes(b.adapterName));
});

test('alloc gives zeros, also when the pool hands back a used buffer', async (b) => {
  const used = b.alloc(37);
  b.write(used, new Float32Array(37).fill(9));
  await b.read(used);
  b.free(used);
  const again = b.alloc(37);
  assert.equal([...(await b.read(again))], new Array(37).fill(0));
  // A recycled buffer also reads as zeros when a kernel reads it before anything wrote it.
  const y = b.alloc(37);
  b.unary('affine', again, y, 1, 3);
  assert.equal([...(await b.read(y))], new Array(37).fill(3));
  b.free(again);
  b.free(y);
});

test('a partial copy into a recycled buffer leaves zeros around the block', async (b) => {
  const dirty = b.alloc(20);
  b.write(dirty, new Float32Array(20).fill(-7));
  b.free(dirty);
  const src = b.alloc(4);
  b.write(src, new Float32Array([1, 2, 3, 4]));
  const dst = b.alloc(20);
  b.copy([{ src, dst, g: { shape: [2, 2], srcStrides: [2, 1], srcOffset: 0, dstStrides: [5, 1], dstOffset: 6 } }]);
  const expected = new Array(20).fill(0);
  [expected[6], expected[7], expected[11], expected[12]] = [1, 2, 3, 4];
  assert.equal([...(await b.read(dst))], expected);
  b.free(src);
  b.free(dst);
});

test('a write after a queued kernel does not change what the kernel reads', async (b) => {
  const x = b.alloc(5);
  b.write(x, new Float32Array([1, 2, 3, 4, 5]));
  const y = b.alloc(5);
  b.unary('affine', x, y, 2, 0); // queued, not yet submitted
  b.write(x, new Float32Array(5).fill(100));
  assert.equal([...(await b.read(y))], [2, 4, 6, 8, 10]);
  assert.equal([...(await b.read(x))], [100, 100, 100, 100, 100]);
  // The same through the pool: x freed while a queued kernel reads it, then reused and overwritten.
  const z = b.alloc(5);
  b.unary('affine', x, z, 1, 1);
  b.free(x);
  const reused = b.alloc(5);
  b.write(reused, new Float32Array(5).fill(-1));
  assert.equal([...(await b.read(z))], [101, 101, 101, 101, 101]);
  assert.equal([...(await b.read(reused))], [-1, -1, -1, -1, -1]);
  for (const h of [y, z, reused]) b.free(h);
});

test('a chain of 1000 kernels spans several submits and stays in order', async (b) => {
  let x: Handle = b.alloc(3);
  b.write(x, new Float32Array([0, 1, 2]));
  for (let i = 0; i < 1000; i++) {
    const y = b.alloc(3);
    b.unary('affine', x, y, 1, 1);
    b.free(x);
    x = y;
  }
  assert.equal([...(await b.read(x))], [1000, 1001, 1002]);
  b.free(x);
});

test('empty and one-element handles', async (b) => {
  const empty = b.alloc(0);
  b.write(empty, new Float32Array(0));
  b.fill(empty, 3);
  assert.is((await b.read(empty)).length, 0);
  const one = b.alloc(1);
  b.fill(one, 0.25);
  const y = b.alloc(1);
  b.unary('sqrt', one, y, 0, 0);
  assert.equal([...(await b.read(y))], [0.5]);
  for (const h of [empty, one, y]) b.free(h);
});

test('memory() counts live handles and bytes; the pool keeps a steady loop flat', async (b) => {
  const before = b.memory();
  const hs = [b.alloc(10), b.alloc(0), b.alloc(3)];
  assert.equal(b.memory(), { handles: before.handles + 3, bytes: before.bytes + 52 });
  for (const h of hs) b.free(h);
  assert.equal(b.memory(), before);
  const step = async () => {
    const a = b.alloc(1000);
    const c = b.alloc(1000);
    b.fill(a, 1);
    b.unary('exp', a, c, 0, 0);
    await b.read(c);
    b.free(a);
    b.free(c);
  };
  await step();
  const pooled = b.runtime.pooledBytes;
  for (let i = 0; i < 20; i++) await step();
  assert.is(b.runtime.pooledBytes, pooled);
  assert.equal(b.memory(), before);
});

test('training steps hold tensors, handles, bytes and the pool flat', async (b) => {
  const rng = new Rng(12);
  const w = randn([7, 3, 3, 3], { rng, requiresGrad: true });
  const adam = new optim.Adam([w]);
  const x = randn([2, 3, 11, 9], { rng });
  const step = async () => {
    const loss = tidy(() => {
      const l = l1Loss(tanh(conv2d(x, w, undefined, { padding: 1 })), 0);
      l.backward();
      return l;
    });
    adam.step();
    adam.zeroGrad();
    await loss.data();
    loss.dispose();
  };
  await step();
  const before = { ...memory(), pooled: b.runtime.pooledBytes };
  for (let i = 0; i < 5; i++) await step();
  assert.equal({ ...memory(), pooled: b.runtime.pooledBytes }, before);
  adam.dispose();
  for (const t of [w, x]) t.dispose();
});

test('freed handles and other backends\' handles are refused', async (b) => {
  const h = b.alloc(4);
  b.free(h);
  assert.throws(() => b.fill(h, 1), (e: unknown) => e instanceof HandleError);
  const foreign = new JsBackend().alloc(4);
  const error = await b.read(foreign).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof HandleError);
});

test('timeKernels reports GPU milliseconds where the adapter has timestamps', async (b) => {
  const x = b.alloc(4096);
  const y = b.alloc(4096);
  const ms = await b.timeKernels(() => {
    for (let i = 0; i < 4; i++) b.unary('exp', x, y, 0, 0);
  });
  if (b.runtime.canTime) assert.ok(ms !== null && ms > 0 && ms < 10_000, `got ${ms}`);
  else assert.is(ms, null);
  b.free(x);
  b.free(y);
});

/** Settles within `ms` or fails: a lost device must not hang a read. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}

test('a lost device is a clear error on the next call and on a pending read', async () => {
  const b = await fresh();
  const x = b.alloc(1 << 16);
  b.fill(x, 1);
  const pending = b.read(x).then(
    () => null,
    (e: unknown) => e,
  );
  b.runtime.device.destroy();
  const readError = await within(pending, 10_000);
  // The read either finished before the loss or failed naming it; it did not hang.
  if (readError !== null) assert.ok(readError instanceof DeviceLostError || readError instanceof WebGpuError, String(readError));
  await b.runtime.device.lost;
  assert.throws(() => b.alloc(4), (e: unknown) => e instanceof DeviceLostError && /device was lost/.test(e.message));
  await within(
    b.read(x).then(
      () => assert.unreachable('read after loss'),
      (e: unknown) => assert.ok(e instanceof DeviceLostError),
    ),
    10_000,
  );
});

test('a command WebGPU rejects is an error on the next call, not wrong numbers', async () => {
  const b = await fresh();
  const y = b.alloc(4);
  const uniforms = new (await import('../../../engine/backends/webgpu/uniforms.js')).UniformWriter().u32(4);
  b.runtime.dispatch({ shader: 'elementwise', entry: 'noSuchEntry', uniforms, output: y, inputs: [], workgroups: [1] });
  await within(
    b.read(y).then(
      () => assert.unreachable('read after a rejected command'),
      (e: unknown) => assert.ok(e instanceof WebGpuError, String(e)),
    ),
    10_000,
  );
  b.runtime.device.destroy();
});

test("setBackend('auto') picks webgpu on a hardware adapter, and passes over a software one saying why", async (gpu) => {
  const previous = getBackend();
  try {
    const software = gpu.adapterInfo.isFallbackAdapter;
    const picked = await setBackend('auto');
    if (software) {
      assert.is.not(picked.name, 'webgpu');
      assert.match(autoReason(), /webgpu: only a software adapter/);
    } else {
      assert.is(picked.name, 'webgpu');
      assert.match(autoReason(), /webgpu/);
    }
  } finally {
    state.backend = previous; // the same instance, so that other suites' tensors stay usable
  }
});

uvuTest.run();
