/**
 * The parameter blocks of kernels/wasm/params.ts, field for field in the same
 * order (each 4 bytes), and their one writer. `checkBuild` compares every
 * block's size and the op list's hash with the module's own, so a field or
 * an op added on one side only fails at start-up, not as garbage in a kernel.
 */
import type { Heap } from './heap.js';
import { opsSignature } from '../../kernel-ops.generated.js';

interface Layout<F extends string> {
  name: string;
  fields: readonly F[];
  /** Fields stored as f32 (the rest are i32). */
  floats: readonly F[];
}

function layout<F extends string>(name: string, fields: readonly F[], floats: readonly F[] = []): Layout<F> {
  return { name, fields, floats };
}

const rank6 = (prefix: string) => [0, 1, 2, 3, 4, 5].map((d) => `${prefix}${d}`);

export const unaryLayout = layout('unary', ['op', 'x', 'y', 'n', 'chunk', 'alpha', 'beta'], ['alpha', 'beta']);

export const activationLayout = layout('activation', ['op', 'dy', 'y', 'dx', 'n', 'chunk', 'alpha'], ['alpha']);

export const binaryLayout = layout('binary', ['op', 'a', 'b', 'y', 'rank', ...rank6('shape'), ...rank6('aStride'), ...rank6('bStride')]);

export const copyLayout = layout('copy', ['table', 'count']);

export const copyEntryLayout = layout('copyEntry', ['src', 'dst', 'rank', ...rank6('shape'), ...rank6('srcStride'), ...rank6('dstStride'), 'firstRow']);

export const reduceLayout = layout('reduce', ['x', 'y', 'outer', 'reduce', 'inner', 'innerChunk']);

export const resampleLayout = layout('resample', [
  'x', 'y', 'planes', 'inH', 'inW', 'outH', 'outW', 'kH', 'kW', 'strideH', 'strideW', 'padH', 'padW', 'countIncludePad', 'scale',
]);

export const relayoutLayout = layout('relayout', ['src', 'dst', 'planes', 'inH', 'inW', 'strideH', 'strideW', 'padTop', 'padLeft', 'rows', 'cols']);

export const packRowsLayout = layout('packRows', ['src', 'dst', 'images', 'rows', 'height', 'width', 'pitch', 'span']);

export const filterDotLayout = layout('filterDot', ['x', 'imageStride', 'cols', 'taps', 'tapCount', 'dy', 'dw', 'images', 'channels', 'height', 'width']);

export const packALayout = layout('packA', ['src', 'dst', 'm', 'k', 'rowOffsets', 'colOffsets']);

export const gemmLayout = layout('gemm', [
  'm', 'n', 'k', 'batch', 'reduceBatch', 'kSplits', 'mBlocks', 'mBlockRows', 'strips', 'stripCols', 'kcMax',
  'a', 'aBatchStride', 'aPanelStride',
  'b', 'bRowOffsets', 'bRowStride', 'bColOffsets', 'bColStride', 'bRunWidth', 'bRunPitch', 'bBatchStride', 'bReduceStride',
  'c', 'cBatchStride', 'cSplitStride', 'cRowStride', 'cWidth', 'cValidWidth', 'cRowPitch', 'cColPitch',
  'bias', 'activation', 'activationAlpha', 'scratch', 'scratchStride',
] as const, ['activationAlpha']);

export const sumSplitsLayout = layout('sumSplits', ['x', 'y', 'n', 'splits', 'stride', 'chunk']);

export const interleaveLayout = layout(
  'interleave',
  ['src', 'dst', 'planes', 'height', 'width', 'strideH', 'strideW', 'pitch', 'phaseOffsets', 'channels', 'bias', 'activation', 'activationAlpha'],
  ['activationAlpha'],
);

export const adamLayout = layout('adam', ['table', 'count', 'chunk', 'beta1', 'beta2', 'eps', 'weightDecay'], ['beta1', 'beta2', 'eps', 'weightDecay']);

export const normLayout = layout(
  'norm',
  ['x', 'weight', 'bias', 'y', 'stats', 'dy', 'dx', 'dWeight', 'dBias', 'planes', 'channels', 'size', 'eps', 'activation', 'activationAlpha'],
  ['eps', 'activationAlpha'],
);

export const squaresLayout = layout('squares', ['table', 'count', 'squares', 'batch']);

export const clippedSumLayout = layout(
  'clippedSum',
  ['table', 'count', 'factors', 'batch', 'seed', 'seedHigh', 'chunk', 'noiseStd', 'scale'],
  ['noiseStd', 'scale'],
);

export const randomLayout = layout('random', ['y', 'n', 'seed', 'seedHigh', 'counter', 'chunk']);

export const lossLayout = layout('loss', ['op', 'a', 'b', 'target', 'n', 'y', 'dy', 'da', 'chunk'], ['target']);

export type Fields<L> = L extends Layout<infer F> ? Record<F, number> : never;

/** Writes `values` at byte offset `at` in the layout's order. */
export function writeParams<F extends string>(heap: Heap, at: number, l: Layout<F>, values: Record<F, number>): number {
  const i32 = heap.i32;
  const f32 = heap.f32;
  const base = at >> 2;
  l.fields.forEach((field, i) => {
    const v = values[field];
    if (l.floats.includes(field)) f32[base + i] = v;
    else i32[base + i] = v; // pointers above 2 GiB wrap to the same bits
  });
  return at;
}

const allLayouts = [unaryLayout, activationLayout, binaryLayout, copyLayout, copyEntryLayout, reduceLayout, resampleLayout, relayoutLayout, packRowsLayout, filterDotLayout, packALayout, gemmLayout, sumSplitsLayout, interleaveLayout, adamLayout, randomLayout, normLayout, squaresLayout, clippedSumLayout, lossLayout];

/** The largest block, in bytes. */
export const paramsBytes = Math.max(...allLayouts.map((l) => l.fields.length * 4));

/**
 * Throws unless the module was built from this source: each layout has the
 * size the module gives its twin, and the op list (whose positions are the
 * codes both sides pass) hashes the same.
 */
export function checkBuild(exports: WebAssembly.Exports): void {
  const signature = exports['opsSignature'] as (() => number) | undefined;
  if (!signature || signature() >>> 0 !== opsSignature) {
    throw new Error('wasm kernels: built from another op list than kernels/ops.json; rebuild with npm run build:wasm');
  }
  for (const l of allLayouts) {
    const size = exports[`${l.name}ParamsBytes`] as (() => number) | undefined;
    if (!size || size() !== l.fields.length * 4) {
      throw new Error(`wasm kernels: the ${l.name} parameter block differs from kernels/wasm/params.ts; rebuild with npm run build:wasm`);
    }
  }
}
