/**
 * kernels/ops.json is the one list of the op names that reach AssemblyScript
 * and WGSL as codes: every op there is implemented by name in both kernel
 * languages (so that one grep of its name finds it everywhere), and the
 * TypeScript list the engine uses is that list, in its order.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { binaryOps, lossOps, unaryOps } from '../../engine/backend.js';
import { repoRoot } from '../helpers/sources.js';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const list = JSON.parse(read('kernels/ops.json')) as Record<'unary' | 'binary' | 'loss', Record<string, string>>;

test('the engine numbers the ops in the order of kernels/ops.json', () => {
  assert.equal([...unaryOps], Object.keys(list.unary));
  assert.equal([...binaryOps], Object.keys(list.binary));
  assert.equal([...lossOps], Object.keys(list.loss));
});

test('every unary op has a case by name in the wasm and WGSL kernels', () => {
  const wasm = read('kernels/wasm/elementwise.ts');
  const wgsl = read('kernels/wgsl/_unary.wgsl');
  for (const op of Object.keys(list.unary)) {
    assert.ok(wasm.includes(`case UnaryOp.${op}:`), `kernels/wasm/elementwise.ts has no case UnaryOp.${op}`);
    assert.ok(wgsl.includes(`case unary_${op}:`), `kernels/wgsl/_unary.wgsl has no case unary_${op}`);
  }
});

test('every binary op has a case by name in the wasm and WGSL kernels (div as the last, default one)', () => {
  const wasm = read('kernels/wasm/elementwise.ts');
  const wgsl = read('kernels/wgsl/elementwise.wgsl');
  for (const op of Object.keys(list.binary).filter((op) => op !== 'div')) {
    assert.ok(wasm.includes(`case BinaryOp.${op}:`), `kernels/wasm/elementwise.ts has no case BinaryOp.${op}`);
    assert.ok(wgsl.includes(`case binary_${op}:`), `kernels/wgsl/elementwise.wgsl has no case binary_${op}`);
  }
  assert.ok(wasm.includes('// BinaryOp.div') && wgsl.includes('// binary_div'));
});

test('every loss op has its value and derivative cases by name in the wasm and WGSL kernels', () => {
  const wasm = read('kernels/wasm/loss.ts');
  const wgsl = read('kernels/wgsl/loss.wgsl');
  for (const op of Object.keys(list.loss)) {
    assert.is(wasm.split(`case LossOp.${op}:`).length - 1, 2, `kernels/wasm/loss.ts: case LossOp.${op} in lossOf and derivativeOf`);
    assert.is(wgsl.split(`case loss_${op}:`).length - 1, 2, `kernels/wgsl/loss.wgsl: case loss_${op} in lossOf and derivativeOf`);
  }
});

test.run();
