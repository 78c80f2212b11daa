/**
 * The wasm backend's memory: the allocator reuses and merges freed blocks, a
 * 1,000-step training loop runs in flat memory, and stale or foreign handles
 * are refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { installNodePlatform } from '../../../platform/node.js';
import {
  getBackend, HandleError, keep, l1Loss, manualSeed, memory, nn, optim, ones, randn, setBackend, tanh, tidy, useBackend, zeros, type Backend,
} from '../../../engine/index.js';
import { createBackend } from '../../../engine/backends/index.js';
import { WasmBackend } from '../../../engine/backends/wasm/index.js';
import { Heap } from '../../../engine/backends/wasm/heap.js';

installNodePlatform();

function newHeap(): Heap {
  return new Heap(new WebAssembly.Memory({ initial: 1, maximum: 64 }), 1000, 64 * 65536);
}

test('heap: a freed block is reused for a request of its size or smaller', () => {
  const heap = newHeap();
  const a = heap.alloc(1000);
  const b = heap.alloc(1000);
  heap.alloc(64); // keeps b off the top
  heap.release(a, 1000);
  assert.is(heap.alloc(1000), a);
  heap.release(b, 1000);
  assert.is(heap.alloc(100), b, 'best fit takes the freed block');
});

test('heap: neighbours merge, so a bigger block fits where two smaller were', () => {
  const heap = newHeap();
  const a = heap.alloc(640);
  const b = heap.alloc(640);
  const c = heap.alloc(640);
  heap.alloc(64);
  heap.release(a, 640);
  heap.release(c, 640);
  heap.release(b, 640); // merges with both
  assert.is(heap.alloc(1920), a);
});

test('heap: blocks are 64-byte aligned and the memory grows when the top passes its end', () => {
  const heap = newHeap();
  const before = heap.capacity;
  const big = heap.alloc(3 * 65536);
  assert.is(big % 64, 0);
  assert.ok(heap.capacity >= big + 3 * 65536, 'the memory grew to hold the block');
  assert.ok(heap.capacity > before);
  heap.f32[(big + 3 * 65536 - 4) >> 2] = 1.5; // the views follow the growth
  assert.is(heap.f32[(big + 3 * 65536 - 4) >> 2], 1.5);
});

test('heap: freeing everything returns the top to the start', () => {
  const heap = newHeap();
  const blocks = [100, 3000, 64, 70000, 5].map((n) => [heap.alloc(n), n] as const);
  const first = blocks[0]![0];
  for (const [at, n] of [blocks[2]!, blocks[0]!, blocks[4]!, blocks[1]!, blocks[3]!]) heap.release(at, n);
  assert.is(heap.alloc(64), first);
});

test('heap: a refused block leaves the heap usable for the next one', () => {
  const heap = newHeap();
  const a = heap.alloc(1000);
  assert.throws(() => heap.alloc(65 * 65536), /wasm backend: out of memory/);
  const b = heap.alloc(1000);
  assert.is(b, a + 1024, 'the next block starts where the refused one would have');
});

test('wasm: a tensor too large for the memory is refused, and small ones still work after it', async () => {
  await setBackend('wasm');
  assert.throws(() => zeros([1_100_000_000]), /out of memory/);
  assert.equal(Array.from(await ones([3]).data()), [1, 1, 1]);
});

test('a 1,000-step training loop on wasm keeps memory flat', async () => {
  const backend = (await setBackend('wasm')) as WasmBackend;
  manualSeed(3);
  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, padMode: 'reflect' }),
    new nn.InstanceNorm2d(4, { affine: true }),
    nn.LeakyReLU(0.2),
    new nn.Conv2d(4, 1, 3, { padding: 1 }),
  );
  const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
  const x = keep(randn([2, 1, 9, 11]));
  const target = keep(randn([2, 1, 9, 11]));
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = l1Loss(tanh(net.forward(x)), target);
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < 20; i++) step();
  const settled = { ...memory(), capacity: backend.capacity };
  for (let i = 20; i < 1000; i++) step();
  assert.equal({ ...memory(), capacity: backend.capacity }, settled);
  for (const t of [x, target]) t.dispose();
  opt.dispose();
});

test('freed handles and other backends\u2019 handles are refused', async () => {
  const wasm = await createBackend('wasm');
  const js = await createBackend('js');
  const h = wasm.alloc(7);
  wasm.free(h);
  assert.throws(() => wasm.fill(h, 1), (e: unknown) => e instanceof HandleError);
  assert.throws(() => wasm.fill(js.alloc(3), 1), (e: unknown) => e instanceof HandleError);
  const live = wasm.memory();
  const g = wasm.alloc(13);
  assert.equal(wasm.memory(), { handles: live.handles + 1, bytes: live.bytes + 52 });
  wasm.free(g);
  assert.equal(wasm.memory(), live);
});

// Other suites in this process made their tensors on the backend current before this one.
let initial: Backend | undefined;
test.before(() => void (initial = getBackend()));
test.after(() => void useBackend(initial!));

test.run();
