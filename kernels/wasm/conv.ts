// The layouts that turn convolutions into the packed GEMM of gemm.ts.
//
// relayout: zero padding and, for strided convolutions, a split into
// stride x stride phases, so that every (input channel, tap) row of the
// convolution's B operand is one contiguous run of the relaid image and
// B packing is a plain copy. packRows: dy rows packed as the A operand of
// the weight gradient, whose reduction runs over (image, pixel).
// interleavePhases: the stride phases of backward-data, computed apart as
// contiguous GEMM outputs, woven into dx. filterDot: the weight gradient of
// fewer than 4 output channels as dot products, where the GEMM's 4-row tile
// would waste most of its work and pack B for one use of each value.
import { unaryScalar } from './elementwise';
import { madd } from './gemm';
import { FilterDotParams, InterleaveParams, PackRowsParams, RelayoutParams } from './params';

// The runs below are short (a padded row of 3 to 66 floats): inline loops,
// where memory.fill and memory.copy would each be a call out of the
// compiled code (relayout was 10% of a 64x64 width 8 step's CPU time).

/** count zeros at dst. */
@inline function zero(dst: usize, count: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** dst[q] = src[q] for q < count. */
@inline function copyRun(dst: usize, src: usize, count: i32): void {
  let q = 0;
  for (; q + 4 <= count; q += 4) v128.store(dst + (<usize>q << 2), v128.load(src + (<usize>q << 2)));
  for (; q < count; q++) store<f32>(dst + (<usize>q << 2), load<f32>(src + (<usize>q << 2)));
}

/** dst[q] = src[2 q] for q < count; the vector loads stay inside src[0, 2 count - 1). */
@inline function copyEvens(dst: usize, src: usize, count: i32): void {
  let q = 0;
  for (; q + 5 <= count; q += 4) {
    const at = src + (<usize>q << 3);
    v128.store(dst + (<usize>q << 2), v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6));
  }
  for (; q < count; q++) store<f32>(dst + (<usize>q << 2), load<f32>(src + (<usize>q << 3)));
}

/** Planes [begin, end) of the relayout described by RelayoutParams. */
export function relayout(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<RelayoutParams>(params);
  const rowBytes = <usize>p.cols << 2;
  const phasePlane = <usize>(p.rows * p.cols) << 2;
  for (let plane = begin; plane < end; plane++) {
    const src = p.src + (<usize>(plane * p.inH * p.inW) << 2);
    let dst = p.dst + <usize>(plane * p.strideH * p.strideW) * phasePlane;
    for (let a = 0; a < p.strideH; a++) {
      for (let b = 0; b < p.strideW; b++) {
        // Columns q whose source column x = strideW * q + b - padLeft lies in [0, inW).
        const qFirst = max(0, (p.padLeft - b + p.strideW - 1) / p.strideW);
        const qEnd = min(p.cols, max(qFirst, (p.inW + p.padLeft - b + p.strideW - 1) / p.strideW));
        for (let r = 0; r < p.rows; r++) {
          const row = dst + <usize>r * rowBytes;
          const y = p.strideH * r + a - p.padTop;
          if (y < 0 || y >= p.inH || qFirst >= qEnd) {
            zero(row, p.cols);
            continue;
          }
          const from = src + (<usize>(y * p.inW) << 2);
          const first = from + (<usize>(p.strideW * qFirst + b - p.padLeft) << 2); // the source of column qFirst
          zero(row, qFirst);
          if (p.strideW == 1) {
            copyRun(row + (<usize>qFirst << 2), first, qEnd - qFirst);
          } else if (p.strideW == 2) {
            copyEvens(row + (<usize>qFirst << 2), first, qEnd - qFirst);
          } else {
            for (let q = qFirst; q < qEnd; q++) {
              store<f32>(row + (<usize>q << 2), load<f32>(from + (<usize>(p.strideW * q + b - p.padLeft) << 2)));
            }
          }
          zero(row + (<usize>qEnd << 2), p.cols - qEnd);
        }
        dst += phasePlane;
      }
    }
  }
}

/** Items [begin, end) = (image, panel) of PackRowsParams: four rows interleaved per pixel. */
export function packRows(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<PackRowsParams>(params);
  const panels = (p.rows + 3) >> 2;
  const plane = p.height * p.width;
  for (let item = begin; item < end; item++) {
    const image = item / panels;
    const panel = item - image * panels;
    const rows = min(4, p.rows - panel * 4);
    const src = p.src + (<usize>((image * p.rows + panel * 4) * plane) << 2);
    const dst = p.dst + (<usize>((panel * p.images + image) * p.span) << 4);
    const s0 = src;
    const s1 = rows > 1 ? src + (<usize>plane << 2) : 0;
    const s2 = rows > 2 ? src + (<usize>(2 * plane) << 2) : 0;
    const s3 = rows > 3 ? src + (<usize>(3 * plane) << 2) : 0;
    for (let i = 0; i < p.height; i++) {
      const inRow = <usize>(i * p.width) << 2;
      let out = dst + (<usize>(i * p.pitch) << 4);
      let j = 0;
      if (rows == 4) {
        // Four pixels of four rows at a time, transposed to four [row] vectors.
        for (; j + 4 <= p.width; j += 4) {
          const at = inRow + (<usize>j << 2);
          const v0 = v128.load(s0 + at);
          const v1 = v128.load(s1 + at);
          const v2 = v128.load(s2 + at);
          const v3 = v128.load(s3 + at);
          const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
          v128.store(out, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(out, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
          v128.store(out, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
          v128.store(out, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
          out += 64;
        }
      }
      for (; j < p.width; j++) {
        const at = inRow + (<usize>j << 2);
        store<f32>(out, load<f32>(s0 + at));
        store<f32>(out, rows > 1 ? load<f32>(s1 + at) : 0, 4);
        store<f32>(out, rows > 2 ? load<f32>(s2 + at) : 0, 8);
        store<f32>(out, rows > 3 ? load<f32>(s3 + at) : 0, 12);
        out += 16;
      }
      zero(out, (p.pitch - p.width) * 4);
    }
    zero(dst + (<usize>(p.height * p.pitch) << 4), (p.span - p.height * p.pitch) * 4);
  }
}

/**
 * Planes [begin, end) of InterleaveParams; stride 2 across interleaves two
 * phase rows with shuffles. The phases come with their bias and activation
 * applied (by the GEMM); the outputs of no phase get them here.
 */
export function interleavePhases(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<InterleaveParams>(params);
  const sh = p.strideH;
  const sw = p.strideW;
  for (let plane = begin; plane < end; plane++) {
    let missing: f32 = p.bias ? load<f32>(p.bias + (<usize>(plane % p.channels) << 2)) : 0;
    if (p.activation >= 0) missing = unaryScalar(p.activation, missing, p.activationAlpha, p.activationAlpha);
    for (let y = 0; y < p.height; y++) {
      const a = y % sh;
      const u = y / sh;
      const rows = (p.height - a + sh - 1) / sh;
      const rowOffset = (plane * rows + u) * p.pitch;
      const out = p.dst + (<usize>((plane * p.height + y) * p.width) << 2);
      const first = load<i32>(p.phaseOffsets + (<usize>(a * sw) << 2));
      let x = 0;
      if (sw == 2 && first >= 0) {
        const second = load<i32>(p.phaseOffsets + (<usize>(a * sw + 1) << 2));
        if (second >= 0) {
          const s0 = p.src + (<usize>(first + rowOffset) << 2);
          const s1 = p.src + (<usize>(second + rowOffset) << 2);
          for (; x + 8 <= p.width; x += 8) {
            const at = <usize>x << 1; // (x / 2) floats
            const even = v128.load(s0 + at);
            const odd = v128.load(s1 + at);
            v128.store(out + (<usize>x << 2), v128.shuffle<f32>(even, odd, 0, 4, 1, 5));
            v128.store(out + (<usize>x << 2), v128.shuffle<f32>(even, odd, 2, 6, 3, 7), 16);
          }
        }
      }
      // The rest (all of a row under 8 wide) one pixel at a time, its phase b and phase column col stepped along, not divided out.
      let b = x % sw, col = x / sw;
      for (; x < p.width; x++) {
        const phase = load<i32>(p.phaseOffsets + (<usize>(a * sw + b) << 2));
        store<f32>(out + (<usize>x << 2), phase < 0 ? missing : load<f32>(p.src + (<usize>(phase + rowOffset + col) << 2)));
        if (++b == sw) {
          b = 0;
          col++;
        }
      }
    }
  }
}

@inline function lanesSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * Items [begin, end) = (sample, channel, group of 4 taps) of FilterDotParams:
 * each dy row against the group's four runs of x, four pixels at a time.
 */
export function filterDot(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<FilterDotParams>(params);
  const groups = (p.tapCount + 3) >> 2;
  const plane = p.height * p.width;
  for (let item = begin; item < end; item++) {
    const row = item / groups; // sample * channels + channel
    const tap0 = (item - row * groups) << 2;
    const sample = row / p.channels;
    const channel = row - sample * p.channels;
    const count = min(4, p.tapCount - tap0);
    // A group's missing taps repeat its first: computed, never stored.
    const o0 = <usize>load<i32>(p.taps + (<usize>tap0 << 2)) << 2;
    const o1 = count > 1 ? <usize>load<i32>(p.taps + (<usize>(tap0 + 1) << 2)) << 2 : o0;
    const o2 = count > 2 ? <usize>load<i32>(p.taps + (<usize>(tap0 + 2) << 2)) << 2 : o0;
    const o3 = count > 3 ? <usize>load<i32>(p.taps + (<usize>(tap0 + 3) << 2)) << 2 : o0;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let k = 0; k < p.images; k++) {
      const image = sample * p.images + k;
      const dyPlane = p.dy + (<usize>((image * p.channels + channel) * plane) << 2);
      const xImage = p.x + (<usize>(image * p.imageStride) << 2);
      for (let i = 0; i < p.height; i++) {
        const d = dyPlane + (<usize>(i * p.width) << 2);
        const x = xImage + (<usize>(i * p.cols) << 2);
        let j = 0;
        for (; j + 4 <= p.width; j += 4) {
          const at = <usize>j << 2;
          const dv = v128.load(d + at);
          a0 = madd(dv, v128.load(x + o0 + at), a0);
          a1 = madd(dv, v128.load(x + o1 + at), a1);
          a2 = madd(dv, v128.load(x + o2 + at), a2);
          a3 = madd(dv, v128.load(x + o3 + at), a3);
        }
        for (; j < p.width; j++) {
          const at = <usize>j << 2;
          const dv = load<f32>(d + at);
          s0 += dv * load<f32>(x + o0 + at);
          s1 += dv * load<f32>(x + o1 + at);
          s2 += dv * load<f32>(x + o2 + at);
          s3 += dv * load<f32>(x + o3 + at);
        }
      }
    }
    const out = p.dw + (<usize>(row * p.tapCount + tap0) << 2);
    store<f32>(out, lanesSum(a0) + s0);
    if (count > 1) store<f32>(out, lanesSum(a1) + s1, 4);
    if (count > 2) store<f32>(out, lanesSum(a2) + s2, 8);
    if (count > 3) store<f32>(out, lanesSum(a3) + s3, 12);
  }
}
