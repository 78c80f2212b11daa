/**
 * The wasm backend's thread pool (engine/backends/wasm/pool.ts): jobs are
 * split between the threads that join them in time, a kernel that traps on any thread is an error
 * on the calling thread (not a hang), the pool runs the next job as usual,
 * and any thread count gives the same bits.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileKernels, installNodePlatform } from '../../../platform/node.js';
import { ThreadPool } from '../../../engine/backends/wasm/pool.js';
import { closeJob, Control, controlInts, joinJob, kernelTable, openEntry } from '../../../engine/backends/wasm/protocol.js';
import { unaryLayout, writeParams } from '../../../engine/backends/wasm/params.js';
import { Heap } from '../../../engine/backends/wasm/heap.js';
import { unaryOps, type Backend, type ConvGeometry, type Handle } from '../../../engine/backend.js';
import { createBackend } from '../../../engine/backends/index.js';
import { Rng } from '../../../engine/index.js';
import { runCase, values } from '../kernels/table.js';

installNodePlatform();

const module = await compileKernels(false);
const memory = new WebAssembly.Memory({ initial: 256, maximum: 1024, shared: true });
const instance = new WebAssembly.Instance(module, { env: { memory } });
const heap = new Heap(memory, (instance.exports.heapBase as () => number)(), 1024 * 65536);
const pool = await ThreadPool.start(module, memory, kernelTable(instance.exports), 2);

const n = 1 << 18;
const chunk = 1024;
const x = heap.alloc(n * 4);
const y = heap.alloc(n * 4);
const params = heap.alloc(64);

/** y = 2x + 1 over n values in n / chunk items, from `from` (a byte offset). */
function affineJob(from: number): void {
  writeParams(heap, params, unaryLayout, { op: unaryOps.indexOf('affine'), x: from, y, n, chunk, alpha: 2, beta: 1 });
  pool.run('unary', params, n / chunk);
}

test('a job split between two threads computes every item', () => {
  heap.f32.set(Float32Array.from({ length: n }, (_, i) => i % 1000), x >> 2);
  affineJob(x);
  const out = heap.f32.subarray(y >> 2, (y >> 2) + n);
  for (let i = 0; i < n; i += 997) assert.is(out[i], 2 * (i % 1000) + 1);
  assert.is(out[n - 1], 2 * ((n - 1) % 1000) + 1);
});

test('a kernel that traps is an error on the calling thread, and the next job runs', () => {
  const beyond = memory.buffer.byteLength + 65536; // every item reads out of bounds, on whichever thread
  assert.throws(() => affineJob(beyond), /out of bounds|unreachable|wasm kernel unary failed/);
  affineJob(x); // no stale failure, no stuck worker
  assert.is(heap.f32[(y >> 2) + 5], 11);
});

test('workers join a job only while it is open: the main thread waits for those that joined, not for late ones', () => {
  const control = new Int32Array(new SharedArrayBuffer(controlInts * 4));
  Atomics.store(control, Control.entry, openEntry(7));
  assert.ok(joinJob(control, 7));
  assert.not.ok(joinJob(control, 6), 'a worker that saw an older job does not join the current one');
  assert.is(closeJob(control), 1);
  assert.not.ok(joinJob(control, 7), 'a worker that wakes after the job was closed skips it');
  Atomics.store(control, Control.entry, openEntry(8));
  assert.is(closeJob(control), 0, 'nobody joined: the main thread waits for no one');
});

test('one thread and two threads give the same bits (a weight gradient over several strips)', async () => {
  const g: ConvGeometry = { n: 2, cIn: 13, inH: 37, inW: 41, cOut: 7, kH: 3, kW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, outH: 37, outW: 41 };
  const rng = new Rng(5);
  const c = {
    name: 'conv2dBackwardFilter',
    inputs: [values(rng, 2 * 13 * 37 * 41), values(rng, 2 * 7 * 37 * 41)],
    outputs: [7 * 13 * 9],
    call: (b: Backend, [x, dy]: Handle[], [dw]: Handle[]) => b.conv2dBackwardFilter(x!, dy!, dw!, g, { perSample: false }),
  };
  const [[a], [b]] = [await runCase(await createBackend('wasm', { threads: 1 }), c), await runCase(await createBackend('wasm', { threads: 2 }), c)];
  for (let i = 0; i < a!.length; i++) if (a![i] !== b![i]) throw new Error(`element ${i}: ${a![i]} on 1 thread, ${b![i]} on 2`);
});

test.after(() => pool.stop());

test.run();
