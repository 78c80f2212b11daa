// DP-SGD's kernels (engine/backend.ts `sumSquaresPerSample`,
// `clippedSumWithNoise`), each over a list of per-sample gradients given
// by a table: each sample's squared norm over all of them, and the clipped
// sums of the samples' gradients with Gaussian noise drawn in place.
import { ClippedSumParams, SquaresParams } from './params';
import { blockOfFour, laneOf, normalsOfFourBlocks } from './random';
import { squaresAbout } from './sums';

/**
 * Samples [begin, end): squares[n] = the sum of sample n's squared values
 * over the table's tensors, summed in f64 across blocks: in f32 alone a
 * norm over the main job's 515k parameters came out 1.3e-5 low, enough
 * for a clipped sample to exceed the clip bound the accountant assumes.
 */
export function sumSquaresPerSample(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<SquaresParams>(params);
  for (let n = begin; n < end; n++) {
    let total: f64 = 0;
    for (let k = 0; k < p.count; k++) {
      const e = p.table + (<usize>k << 3);
      const size = load<i32>(e, 4);
      total += squaresAbout(load<usize>(e) + (<usize>n * <usize>size << 2), size, 0);
    }
    store<f32>(p.squares + (<usize>n << 2), <f32>total);
  }
}

/** Table entry fields, in 4-byte slots. */
const entrySlots = 5;

/** Items [begin, end) over the table's tensors; an item is `chunk` four-element blocks of one tensor. */
export function clippedSumWithNoise(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ClippedSumParams>(params);
  for (let k = 0; k < p.count; k++) {
    const e = p.table + (<usize>(k * entrySlots) << 2);
    const size = load<i32>(e, 8), first = load<i32>(e, 16);
    const items = (((size + 3) >> 2) + p.chunk - 1) / p.chunk;
    const from = max(begin, first), to = min(end, first + items);
    if (from >= to) continue;
    clippedSumBlocks(p, load<usize>(e), load<usize>(e, 4), size, load<u32>(e, 12), (from - first) * p.chunk, (to - first) * p.chunk);
  }
}

/** Blocks [b0, b1) of four elements of one tensor (b0 a multiple of four): y = scale (sum of factor-weighted samples + noiseStd z). */
function clippedSumBlocks(p: ClippedSumParams, x: usize, y: usize, size: i32, counter: u32, b0: i32, b1: i32): void {
  const last = min((size + 3) >> 2, b1);
  const stride = <usize>size << 2;
  const noiseStd = f32x4.splat(p.noiseStd), scale = f32x4.splat(p.scale);
  for (let first = b0; first < last; first += 4) {
    normalsOfFourBlocks(first, p.seed, p.seedHigh, counter);
    for (let j = 0; j < 4 && first + j < last; j++) {
      const i0 = (first + j) << 2;
      const at = <usize>i0 << 2;
      const z = blockOfFour(j);
      if (i0 + 4 <= size) {
        let acc = f32x4.mul(z, noiseStd);
        for (let n = 0; n < p.batch; n++) {
          const factor = load<f32>(p.factors + (<usize>n << 2));
          if (factor == 0 || factor != factor) continue; // 0 or NaN: left out, whatever its gradient holds
          acc = f32x4.add(acc, f32x4.mul(f32x4.splat(factor), v128.load(x + <usize>n * stride + at)));
        }
        v128.store(y + at, f32x4.mul(acc, scale));
      } else {
        for (let i = i0; i < size; i++) {
          let total = p.noiseStd * laneOf(z, i - i0);
          for (let n = 0; n < p.batch; n++) {
            const factor = load<f32>(p.factors + (<usize>n << 2));
            if (factor != 0 && factor == factor) total += factor * load<f32>(x + <usize>n * stride + (<usize>i << 2));
          }
          store<f32>(y + (<usize>i << 2), p.scale * total);
        }
      }
    }
  }
}
