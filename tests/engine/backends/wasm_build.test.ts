/**
 * The wasm backend refuses a kernel module built from other sources than the
 * TypeScript beside it: another op list (the codes it is passed would name
 * other ops) or another parameter block (its fields would be read askew).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileKernels } from '../../../platform/node.js';
import { checkBuild } from '../../../engine/backends/wasm/params.js';
import { opsSignature } from '../../../engine/kernel-ops.generated.js';

const module = await compileKernels(false);
const instance = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true }) } });
/** The built module's exports with one of them replaced. */
const withExport = (name: string, value: () => number): WebAssembly.Exports => ({ ...instance.exports, [name]: value });

test('the module built from this tree passes, and holds the op list hash the TypeScript holds', () => {
  checkBuild(instance.exports);
  assert.is((instance.exports['opsSignature'] as () => number)() >>> 0, opsSignature);
});

test('a module built from another op list is refused, naming the rebuild', () => {
  assert.throws(() => checkBuild(withExport('opsSignature', () => opsSignature ^ 1)), /another op list than kernels\/ops\.json; rebuild with npm run build:wasm/);
  const { opsSignature: _, ...older } = instance.exports;
  assert.throws(() => checkBuild(older), /another op list/, 'a module from before the hash existed');
});

test('a module whose parameter block differs is refused, naming the block', () => {
  const gemmBytes = (instance.exports['gemmParamsBytes'] as () => number)();
  assert.throws(() => checkBuild(withExport('gemmParamsBytes', () => gemmBytes + 4)), /the gemm parameter block differs from kernels\/wasm\/params\.ts/);
});

test.run();
