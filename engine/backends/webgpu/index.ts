/**
 * The webgpu backend: the Backend kernels as WGSL compute shaders
 * (kernels/wgsl), through Dawn in Node (platform/node.ts) or a browser's
 * WebGPU. Loaded with import() only once an adapter is wanted. Kernels are
 * queued on the GPU; only `read` waits for it. GpuRuntime (runtime.ts) owns
 * the device, buffers and command batching; the family files encode kernels.
 */
import {
  BackendUnavailableError,
  type Activation,
  type AdamEntry,
  type AdamStep,
  type Backend,
  type BinaryOp,
  type BroadcastGeometry,
  type ClippedSumGeometry,
  type ConvGeometry,
  type FilterGradOptions,
  type CopyJob,
  type Handle,
  type LossOp,
  type MatmulGeometry,
  type MemoryInfo,
  type NormGeometry,
  type PadGeometry,
  type PoolGeometry,
  type RandomKey,
  type ReduceGeometry,
  type UnaryOp,
  type UpsampleGeometry,
} from '../../backend.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import * as dp from './dp.js';
import * as norm from './norm.js';
import * as loss from './loss.js';
import { adam } from './optim.js';
import { filterGradients } from '../filter-grad.js';
import { reduceSum } from './reduce.js';
import * as resample from './resample.js';
import { GpuRuntime } from './runtime.js';

export { DeviceLostError, WebGpuError } from './runtime.js';

/** The adapter limits the kernels are sized from, asked for at the adapter's maximum. */
const wantedLimits = [
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
] as const;

/** Makes the backend on the best adapter `gpu` offers; BackendUnavailableError when there is none. */
export async function createWebGpuBackend(gpu: GPU, options: { hardwareOnly?: boolean; noAdapterHint?: string } = {}): Promise<WebGpuBackend> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new BackendUnavailableError(`no WebGPU adapter${options.noAdapterHint ? ` (${options.noAdapterHint})` : ''}`);
  if (options.hardwareOnly && adapter.info.isFallbackAdapter) {
    // lavapipe, SwiftShader: correct but slower than the wasm backend on the same CPU.
    throw new BackendUnavailableError(`only a software adapter (${adapter.info.description || adapter.info.device || 'fallback'}), slower than wasm`);
  }
  const canTime = adapter.features.has('timestamp-query');
  const requiredLimits: Record<string, number> = {};
  for (const name of wantedLimits) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({
    label: 'fedmed',
    requiredFeatures: canTime ? ['timestamp-query'] : [],
    requiredLimits,
  });
  return new WebGpuBackend(new GpuRuntime(device, canTime), adapter.info);
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  /** For engine/backends/filter-grad.ts: a dispatch cannot read and write one buffer. */
  readonly addsInPlace = false;

  constructor(
    readonly runtime: GpuRuntime,
    readonly adapterInfo: GPUAdapterInfo,
  ) {}

  /** The adapter in words: its description (or vendor and architecture) and whether it can time kernels. */
  get adapterName(): string {
    const { description, vendor, architecture, device } = this.adapterInfo;
    return description || [vendor, architecture, device].filter(Boolean).join(' ') || 'unnamed adapter';
  }

  describe(): string {
    const timing = this.runtime.canTime ? 'GPU timestamps' : 'no GPU timestamps';
    return `WGSL kernels on ${this.adapterName} (${timing})`;
  }

  alloc(size: number): Handle {
    return this.runtime.alloc(size);
  }

  write(h: Handle, values: Float32Array): void {
    this.runtime.write(h, values);
  }

  read(h: Handle): Promise<Float32Array> {
    return this.runtime.read(h);
  }

  free(h: Handle): void {
    this.runtime.free(h);
  }

  memory(): MemoryInfo {
    return this.runtime.memory();
  }

  /** GPU milliseconds of the kernels `run` queues (timestamp queries); null without timestamp-query. */
  timeKernels(run: () => void): Promise<number | null> {
    return this.runtime.timeKernels(run);
  }

  fill(y: Handle, value: number): void {
    elementwise.fill(this.runtime, y, value);
  }

  unary(op: UnaryOp, x: Handle, y: Handle, alpha: number, beta: number): void {
    elementwise.unary(this.runtime, op, x, y, alpha, beta);
  }

  binary(op: BinaryOp, a: Handle, b: Handle, y: Handle, g: BroadcastGeometry): void {
    elementwise.binary(this.runtime, op, a, b, y, g);
  }

  reduceSum(x: Handle, y: Handle, g: ReduceGeometry): void {
    reduceSum(this.runtime, x, y, g);
  }

  activationBackward(dy: Handle, y: Handle, dx: Handle, activation: Activation): void {
    elementwise.activationBackward(this.runtime, dy, y, dx, activation);
  }

  copy(copies: readonly CopyJob[]): void {
    for (const { src, dst, g } of copies) elementwise.copy(this.runtime, src, dst, g); // one dispatch each, in the open pass
  }

  conv2d(x: Handle, w: Handle, bias: Handle | null, y: Handle, g: ConvGeometry, activation: Activation | null = null): void {
    conv.conv2d(this.runtime, x, w, bias, y, g, activation);
  }

  conv2dBackwardData(dy: Handle, w: Handle, dx: Handle, g: ConvGeometry, bias: Handle | null = null, activation: Activation | null = null): void {
    conv.conv2dBackwardData(this.runtime, dy, w, dx, g, bias, activation);
  }

  conv2dBackwardFilter(x: Handle, dy: Handle, dw: Handle, g: ConvGeometry, o: FilterGradOptions): void {
    filterGradients(this, x, dy, dw, g, o, (into) => conv.conv2dBackwardFilter(this.runtime, x, dy, into, g, o.perSample));
  }

  matmul(a: Handle, b: Handle, y: Handle, g: MatmulGeometry): void {
    conv.matmul(this.runtime, a, b, y, g);
  }

  avgPool2d(x: Handle, y: Handle, g: PoolGeometry): void {
    resample.avgPool2d(this.runtime, x, y, g);
  }

  avgPool2dBackward(dy: Handle, dx: Handle, g: PoolGeometry): void {
    resample.avgPool2dBackward(this.runtime, dy, dx, g);
  }

  upsampleNearest(x: Handle, y: Handle, g: UpsampleGeometry): void {
    resample.upsampleNearest(this.runtime, x, y, g);
  }

  upsampleNearestBackward(dy: Handle, dx: Handle, g: UpsampleGeometry): void {
    resample.upsampleNearestBackward(this.runtime, dy, dx, g);
  }

  padReflect(x: Handle, y: Handle, g: PadGeometry): void {
    resample.padReflect(this.runtime, x, y, g);
  }

  padReflectBackward(dy: Handle, dx: Handle, g: PadGeometry): void {
    resample.padReflectBackward(this.runtime, dy, dx, g);
  }

  instanceNorm(x: Handle, weight: Handle | null, bias: Handle | null, y: Handle, stats: Handle, g: NormGeometry): void {
    norm.instanceNorm(this.runtime, x, weight, bias, y, stats, g);
  }

  instanceNormBackward(x: Handle, stats: Handle, dy: Handle, weight: Handle | null, dx: Handle, dWeight: Handle, dBias: Handle, g: NormGeometry, y: Handle | null = null): void {
    norm.instanceNormBackward(this.runtime, x, stats, dy, weight, dx, dWeight, dBias, g, y);
  }

  sumSquaresPerSample(xs: readonly Handle[], squares: Handle): void {
    dp.sumSquaresPerSample(this.runtime, xs, squares);
  }

  clippedSumWithNoise(xs: readonly Handle[], factors: Handle, ys: readonly Handle[], g: ClippedSumGeometry): void {
    dp.clippedSumWithNoise(this.runtime, xs, factors, ys, g);
  }

  adam(entries: readonly AdamEntry[], s: AdamStep): void {
    adam(this.runtime, entries, s);
  }

  pointLoss(op: LossOp, a: Handle, b: Handle | null, target: number, y: Handle): void {
    loss.pointLoss(this.runtime, op, a, b, target, y);
  }

  pointLossBackward(op: LossOp, a: Handle, b: Handle | null, target: number, dy: Handle, da: Handle): void {
    loss.pointLossBackward(this.runtime, op, a, b, target, dy, da);
  }

  randomNormal(y: Handle, key: Required<RandomKey>): void {
    dp.randomNormal(this.runtime, y, key);
  }
}
