/**
 * conv2dBackwardFilter's bias gradient and accumulation (FilterGradOptions)
 * for the backends whose weight-gradient kernel writes dw alone (wasm,
 * webgpu): within the one backend call, that kernel writes into dw or a
 * temporary, and the backend's own reduceSum, copy and add kernels give the
 * bias's gradient and add into what dw and dBias held. The gain is fewer
 * calls into the backend and fewer tensors for the engine, not fewer passes.
 */
import type { Backend, ConvGeometry, FilterGradOptions, Handle } from '../backend.js';

/**
 * The backend's kernels, and whether its add may write over its first
 * operand (wasm: yes, element by element; webgpu: no, a dispatch cannot read
 * and write one buffer).
 */
interface Kernels extends Pick<Backend, 'alloc' | 'free' | 'reduceSum' | 'copy' | 'binary'> {
  readonly addsInPlace: boolean;
}

export function filterGradients(b: Kernels, x: Handle, dy: Handle, dw: Handle, g: ConvGeometry, o: FilterGradOptions, weights: (into: Handle) => void): void {
  writeOrAdd(b, dw, o.accumulate ?? false, weights);
  if (!o.dBias) return;
  const [source, channels, plane] = o.biasFrom === 'x' ? [x, g.cIn, g.inH * g.inW] : [dy, g.cOut, g.outH * g.outW];
  const samples = { outer: g.n * channels, reduce: plane, inner: 1 };
  writeOrAdd(b, o.dBias, o.accumulate ?? false, (into) => {
    if (o.perSample) {
      b.reduceSum(source, into, samples);
      return;
    }
    const perSample = b.alloc(g.n * channels);
    b.reduceSum(source, perSample, samples);
    b.reduceSum(perSample, into, { outer: 1, reduce: g.n, inner: channels });
    b.free(perSample);
  });
}

/** Runs `write` into y, or when accumulating into a temporary that is then added to y. */
function writeOrAdd(b: Kernels, y: Handle, accumulate: boolean, write: (into: Handle) => void): void {
  if (!accumulate) {
    write(y);
    return;
  }
  const flat = { shape: [y.size], aStrides: [1], bStrides: [1] };
  const fresh = b.alloc(y.size);
  write(fresh);
  if (b.addsInPlace) {
    b.binary('add', y, fresh, y, flat);
  } else {
    const old = b.alloc(y.size);
    b.copy([{ src: y, dst: old, g: { shape: [y.size], srcStrides: [1], srcOffset: 0, dstStrides: [1], dstOffset: 0 } }]);
    b.binary('add', old, fresh, y, flat);
    b.free(old);
  }
  b.free(fresh);
}
