/**
 * The js backend: plain loops over Float32Arrays, accumulating in float64.
 * Slow and obviously correct; every other backend is tested against it.
 */
import type { Backend, Handle, MemoryInfo } from '../../backend.js';
import { activationBackward, binary, fill, unary } from './elementwise.js';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter, matmul } from './conv.js';
import { clippedSumWithNoise, sumSquaresPerSample } from './dp.js';
import { pointLoss, pointLossBackward } from './loss.js';
import { instanceNorm, instanceNormBackward } from './norm.js';
import { adam } from './optim.js';
import { randomNormal } from './random.js';
import { copy, reduceSum } from './reduce.js';
import { avgPool2d, avgPool2dBackward, padReflect, padReflectBackward, upsampleNearest, upsampleNearestBackward } from './resample.js';
import { arr, JsHandle } from './storage.js';

export class JsBackend implements Backend {
  readonly name = 'js';
  private live = 0;
  private bytes = 0;

  describe(): string {
    return 'reference loops in JavaScript (slow; the oracle for the other backends)';
  }

  alloc(size: number): Handle {
    this.live++;
    this.bytes += size * 4;
    return new JsHandle(new Float32Array(size));
  }

  write(h: Handle, values: Float32Array): void {
    arr(h).set(values);
  }

  read(h: Handle): Promise<Float32Array> {
    return Promise.resolve(arr(h).slice());
  }

  free(h: Handle): void {
    arr(h);
    (h as JsHandle).freed = true;
    this.live--;
    this.bytes -= h.size * 4;
  }

  memory(): MemoryInfo {
    return { handles: this.live, bytes: this.bytes };
  }

  fill = fill;
  unary = unary;
  binary = binary;
  reduceSum = reduceSum;
  copy = copy;
  conv2d = conv2d;
  conv2dBackwardData = conv2dBackwardData;
  conv2dBackwardFilter = conv2dBackwardFilter;
  matmul = matmul;
  avgPool2d = avgPool2d;
  avgPool2dBackward = avgPool2dBackward;
  upsampleNearest = upsampleNearest;
  upsampleNearestBackward = upsampleNearestBackward;
  padReflect = padReflect;
  padReflectBackward = padReflectBackward;
  instanceNorm = instanceNorm;
  instanceNormBackward = instanceNormBackward;
  sumSquaresPerSample = sumSquaresPerSample;
  clippedSumWithNoise = clippedSumWithNoise;
  adam = adam;
  activationBackward = activationBackward;
  pointLoss = pointLoss;
  pointLossBackward = pointLossBackward;
  randomNormal = randomNormal;
}
