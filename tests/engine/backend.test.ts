/** engine/select.ts and the js backend's handles: choosing a backend, and refusing misuse of storage. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, autoReason, getBackend, HandleError, platform, setBackend, setPlatform, tensor } from '../../engine/index.js';
import { state } from '../../engine/state.js';

test("'auto' picks webgpu when there is an adapter, else wasm, else js, and says why", async () => {
  const before = getBackend();
  try {
    const backend = await setBackend('auto');
    assert.ok(autoReason().length > 0);
    if (backend.name !== 'webgpu') assert.match(autoReason(), /webgpu: /); // why webgpu was passed over
    if (backend.name === 'js') assert.match(autoReason(), /wasm: /);
  } finally {
    state.backend = before; // this instance: tensors made by other suites stay usable
  }
});

test('picking the kind already current keeps its instance', async () => {
  const before = getBackend();
  const x = tensor([1, 2], [2]);
  assert.is(await setBackend(before.name), before);
  assert.equal([...(await add(x, 1).data())], [2, 3]);
});

test('an unavailable backend is a BackendUnavailableError and leaves the current one', async () => {
  const before = getBackend();
  const host = platform();
  setPlatform({ ...host, wasmModule: () => Promise.reject(new Error('no kernels here')) });
  try {
    // A thread count no other suite asks for, so that no wasm backend made earlier is reused.
    await setBackend('wasm', { threads: 3 }).then(
      () => assert.unreachable('wasm without its kernels should be unavailable'),
      (e: Error) => assert.is(e.name, 'BackendUnavailableError'),
    );
  } finally {
    setPlatform(host);
  }
  assert.is(getBackend(), before);
});

test('the js backend refuses freed handles and counts memory', async () => {
  const js = getBackend();
  const before = js.memory();
  const h = js.alloc(3);
  assert.equal(js.memory(), { handles: before.handles + 1, bytes: before.bytes + 12 });
  js.write(h, new Float32Array([1, 2, 3]));
  assert.equal([...(await js.read(h))], [1, 2, 3]);
  js.free(h);
  assert.equal(js.memory(), before);
  assert.throws(() => js.free(h), (e: Error) => e instanceof HandleError);
  assert.throws(() => js.fill(h, 0), /used after free/);
});

test.run();
