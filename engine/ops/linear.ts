/** Matrix products: linear layers and plain 2-d matmul. */
import type { MatmulGeometry } from '../backend.js';
import { state } from '../state.js';
import { empty, type Tensor } from '../tensor.js';
import { noGrad, record, wantsPerSample } from '../tape.js';
import { sum } from './reduce.js';
import { add } from './elementwise.js';

function matmulKernel(a: Tensor, b: Tensor, outShape: readonly number[], g: MatmulGeometry): Tensor {
  const y = empty(outShape);
  state.backend.matmul(a.handle, b.handle, y.handle, g);
  return y;
}

function mm(a: Tensor, b: Tensor, m: number, n: number, k: number, transA: boolean, transB: boolean): Tensor {
  return matmulKernel(a, b, [m, n], { batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 });
}

/** a [m, k] times b [k, n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) throw new Error(`matmul: cannot multiply ${a} by ${b}`);
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const y = mm(a, b, m, n, k, false, false);
  return record('matmul', y, [a, b], (dy) => [
    a.requiresGrad ? mm(dy, b, m, k, n, false, true) : null, // dy b^T
    b.requiresGrad ? mm(a, dy, k, n, m, true, false) : null, // a^T dy
  ]);
}

/** torch.nn.functional.linear: x [n, in], w [out, in], bias [out] -> x w^T + bias. */
export function linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[1]) throw new Error(`linear: input ${x} does not fit weight ${w}`);
  const [n, inF] = x.shape as [number, number];
  const outF = w.shape[0]!;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF)) throw new Error(`linear: bias ${bias} should be [${outF}]`);
  const xw = mm(x, w, n, outF, inF, false, true);
  const y = bias ? addUnrecorded(xw, bias) : xw;
  const inputs = bias ? [x, w, bias] : [x, w];
  return record('linear', y, inputs, (dy) => [
    x.requiresGrad ? mm(dy, w, n, inF, outF, false, false) : null, // dy w
    w.requiresGrad ? weightGrad(dy, x, w, n, outF, inF) : null,
    bias?.requiresGrad ? sum(dy, wantsPerSample(bias) ? [] : [0]) : null,
  ]);
}

/** dw = dy^T x, or one outer product dy_i^T x_i per sample for DP leaves. */
function weightGrad(dy: Tensor, x: Tensor, w: Tensor, n: number, outF: number, inF: number): Tensor {
  if (!wantsPerSample(w)) return mm(dy, x, outF, inF, n, true, false);
  return matmulKernel(dy, x, [n, outF, inF], { batch: n, m: outF, n: inF, k: 1, transA: false, transB: false, aBatchStride: outF, bBatchStride: inF });
}

/** y + bias, unrecorded (the caller records the whole op); frees y. */
function addUnrecorded(y: Tensor, bias: Tensor): Tensor {
  const out = noGrad(() => add(y, bias));
  y.dispose();
  return out;
}
