// Average pooling, nearest upsampling and reflection padding, forward and
// backward. Work items are planes (one channel of one image); each kernel
// writes only its own planes, so the backward scatters need no atomics.
import { ResampleParams } from './params';

@inline function planeOf(base: usize, plane: i32, size: i32): usize {
  return base + (<usize>(plane * size) << 2);
}

/** The pooling divisor of output cell (i, j), as PyTorch's avg_pool2d computes it. */
@inline function poolDivisor(p: ResampleParams, r0: i32, c0: i32): f32 {
  if (p.countIncludePad) {
    const rows = min(r0 + p.kH, p.inH + p.padH) - r0;
    const cols = min(c0 + p.kW, p.inW + p.padW) - c0;
    return <f32>(rows * cols);
  }
  return <f32>((min(r0 + p.kH, p.inH) - max(r0, 0)) * (min(c0 + p.kW, p.inW) - max(c0, 0)));
}

export function avgPool2d(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ResampleParams>(params);
  for (let plane = begin; plane < end; plane++) {
    const x = planeOf(p.x, plane, p.inH * p.inW);
    const y = planeOf(p.y, plane, p.outH * p.outW);
    for (let i = 0; i < p.outH; i++) {
      const r0 = i * p.strideH - p.padH;
      const rFirst = max(r0, 0), rEnd = min(r0 + p.kH, p.inH);
      for (let j = 0; j < p.outW; j++) {
        const c0 = j * p.strideW - p.padW;
        const cFirst = max(c0, 0), cEnd = min(c0 + p.kW, p.inW);
        let s: f32 = 0;
        for (let r = rFirst; r < rEnd; r++) {
          for (let c = cFirst; c < cEnd; c++) s += load<f32>(x + (<usize>(r * p.inW + c) << 2));
        }
        store<f32>(y + (<usize>(i * p.outW + j) << 2), s / poolDivisor(p, r0, c0));
      }
    }
  }
}

export function avgPool2dBackward(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ResampleParams>(params);
  for (let plane = begin; plane < end; plane++) {
    const dx = planeOf(p.x, plane, p.inH * p.inW);
    const dy = planeOf(p.y, plane, p.outH * p.outW);
    memory.fill(dx, 0, <usize>(p.inH * p.inW) << 2);
    for (let i = 0; i < p.outH; i++) {
      const r0 = i * p.strideH - p.padH;
      const rFirst = max(r0, 0), rEnd = min(r0 + p.kH, p.inH);
      for (let j = 0; j < p.outW; j++) {
        const c0 = j * p.strideW - p.padW;
        const cFirst = max(c0, 0), cEnd = min(c0 + p.kW, p.inW);
        const g = load<f32>(dy + (<usize>(i * p.outW + j) << 2)) / poolDivisor(p, r0, c0);
        for (let r = rFirst; r < rEnd; r++) {
          for (let c = cFirst; c < cEnd; c++) {
            const at = dx + (<usize>(r * p.inW + c) << 2);
            store<f32>(at, load<f32>(at) + g);
          }
        }
      }
    }
  }
}

/** y [planes, inH * scale, inW * scale]; scale 2 duplicates lanes with one shuffle per two vectors. */
export function upsampleNearest(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ResampleParams>(params);
  const s = p.scale;
  const outW = p.inW * s;
  const outRowBytes = <usize>outW << 2;
  for (let plane = begin; plane < end; plane++) {
    const x = planeOf(p.x, plane, p.inH * p.inW);
    const y = planeOf(p.y, plane, p.inH * s * outW);
    for (let i = 0; i < p.inH; i++) {
      const from = x + (<usize>(i * p.inW) << 2);
      const row = y + <usize>(i * s) * outRowBytes;
      let j = 0;
      if (s == 2) {
        for (; j + 4 <= p.inW; j += 4) {
          const v = v128.load(from + (<usize>j << 2));
          const to = row + (<usize>j << 3);
          v128.store(to, v128.shuffle<f32>(v, v, 0, 0, 1, 1));
          v128.store(to, v128.shuffle<f32>(v, v, 2, 2, 3, 3), 16);
        }
      }
      for (; j < p.inW; j++) {
        const v = load<f32>(from + (<usize>j << 2));
        for (let q = 0; q < s; q++) store<f32>(row + (<usize>(j * s + q) << 2), v);
      }
      for (let r = 1; r < s; r++) memory.copy(row + <usize>r * outRowBytes, row, outRowBytes);
    }
  }
}

/** dx[p, i, j] = sum of dy over the scale x scale block (i, j) was copied to. */
export function upsampleNearestBackward(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ResampleParams>(params);
  const s = p.scale;
  const outW = p.inW * s;
  const outRowBytes = <usize>outW << 2;
  for (let plane = begin; plane < end; plane++) {
    const dx = planeOf(p.x, plane, p.inH * p.inW);
    const dy = planeOf(p.y, plane, p.inH * s * outW);
    for (let i = 0; i < p.inH; i++) {
      const row = dy + <usize>(i * s) * outRowBytes;
      const to = dx + (<usize>(i * p.inW) << 2);
      let j = 0;
      if (s == 2) {
        for (; j + 4 <= p.inW; j += 4) {
          const at = row + (<usize>j << 3);
          const a = f32x4.add(v128.load(at), v128.load(at + outRowBytes));
          const b = f32x4.add(v128.load(at, 16), v128.load(at + outRowBytes, 16));
          const pairs = f32x4.add(v128.shuffle<f32>(a, b, 0, 2, 4, 6), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
          v128.store(to + (<usize>j << 2), pairs);
        }
      }
      for (; j < p.inW; j++) {
        let sum: f32 = 0;
        for (let r = 0; r < s; r++) {
          for (let q = 0; q < s; q++) sum += load<f32>(row + <usize>r * outRowBytes + (<usize>(j * s + q) << 2));
        }
        store<f32>(to + (<usize>j << 2), sum);
      }
    }
  }
}

/** PyTorch's reflection: -1 maps to 1, n maps to n - 2. */
@inline function reflect(i: i32, n: i32): i32 {
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/** y [planes, outH, outW] with the input at (padH, padW) (top, left) and its reflection around it. */
export function padReflect(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ResampleParams>(params);
  for (let plane = begin; plane < end; plane++) {
    const x = planeOf(p.x, plane, p.inH * p.inW);
    const y = planeOf(p.y, plane, p.outH * p.outW);
    for (let i = 0; i < p.outH; i++) {
      const from = x + (<usize>(reflect(i - p.padH, p.inH) * p.inW) << 2);
      const row = y + (<usize>(i * p.outW) << 2);
      memory.copy(row + (<usize>p.padW << 2), from, <usize>p.inW << 2);
      for (let j = 0; j < p.padW; j++) store<f32>(row + (<usize>j << 2), load<f32>(from + (<usize>reflect(j - p.padW, p.inW) << 2)));
      for (let j = p.padW + p.inW; j < p.outW; j++) {
        store<f32>(row + (<usize>j << 2), load<f32>(from + (<usize>reflect(j - p.padW, p.inW) << 2)));
      }
    }
  }
}

/** dx = the interior of dy plus every border cell of dy added to the cell it reflects. */
export function padReflectBackward(params: usize, begin: i32, end: i32, thread: i32): void {
  const p = changetype<ResampleParams>(params);
  for (let plane = begin; plane < end; plane++) {
    const dx = planeOf(p.x, plane, p.inH * p.inW);
    const dy = planeOf(p.y, plane, p.outH * p.outW);
    for (let i = 0; i < p.inH; i++) {
      memory.copy(dx + (<usize>(i * p.inW) << 2), dy + (<usize>((i + p.padH) * p.outW + p.padW) << 2), <usize>p.inW << 2);
    }
    for (let i = 0; i < p.outH; i++) {
      const r = reflect(i - p.padH, p.inH);
      const interiorRow = i >= p.padH && i < p.padH + p.inH;
      for (let j = 0; j < p.outW; j++) {
        if (interiorRow && j >= p.padW && j < p.padW + p.inW) {
          j = p.padW + p.inW - 1; // the interior is copied above
          continue;
        }
        const at = dx + (<usize>(r * p.inW + reflect(j - p.padW, p.inW)) << 2);
        store<f32>(at, load<f32>(at) + load<f32>(dy + (<usize>(i * p.outW + j) << 2)));
      }
    }
  }
}
