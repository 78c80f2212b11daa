// DP-SGD's kernels (engine/backend.ts `sumSquaresPerSample`,
// `clippedSumWithNoise`): each sample's squared gradient norm, and the
// clipped sum of the samples' gradients with Gaussian noise drawn in place.
import { ClippedSumParams, SquaresParams } from './params';
import { normalsOfBlock, z0, z1, z2, z3 } from './random';

/** Samples [begin, end): squares[n] (+)= the sum of sample n's squared values. */
export function sumSquaresPerSample(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<SquaresParams>(params);
  for (let n = begin; n < end; n++) {
    const x = p.x + (<usize>n * <usize>p.size << 2);
    let acc = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= p.size; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let total = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; i < p.size; i++) {
      const v = load<f32>(x + (<usize>i << 2));
      total += v * v;
    }
    const out = p.squares + (<usize>n << 2);
    store<f32>(out, p.accumulate ? load<f32>(out) + total : total);
  }
}

/** Blocks [begin * chunk, end * chunk) of four elements: y = scale (sum of factor-weighted samples + noiseStd z). */
export function clippedSumWithNoise(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ClippedSumParams>(params);
  const blocks = (p.size + 3) >> 2;
  const last = min(blocks, end * p.chunk);
  const stride = <usize>p.size << 2;
  for (let block = begin * p.chunk; block < last; block++) {
    normalsOfBlock(block, p.seed, p.counter);
    const i0 = block << 2;
    const at = <usize>i0 << 2;
    if (i0 + 4 <= p.size) {
      const z = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(z0), 1, z1), 2, z2), 3, z3);
      let acc = f32x4.mul(z, f32x4.splat(p.noiseStd));
      for (let n = 0; n < p.batch; n++) {
        const f = f32x4.splat(load<f32>(p.factors + (<usize>n << 2)));
        acc = f32x4.add(acc, f32x4.mul(f, v128.load(p.x + <usize>n * stride + at)));
      }
      v128.store(p.y + at, f32x4.mul(acc, f32x4.splat(p.scale)));
    } else {
      for (let i = i0; i < p.size; i++) {
        const lane = i - i0;
        let total = p.noiseStd * (lane == 0 ? z0 : lane == 1 ? z1 : z2);
        for (let n = 0; n < p.batch; n++) total += load<f32>(p.factors + (<usize>n << 2)) * load<f32>(p.x + <usize>n * stride + (<usize>i << 2));
        store<f32>(p.y + (<usize>i << 2), p.scale * total);
      }
    }
  }
}
