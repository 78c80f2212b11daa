/**
 * The WebGPU backend's machinery: one device, its buffers, and one command
 * encoder that collects kernels.
 *
 * Kernels are encoded into a single open compute pass and submitted in
 * batches (BATCH_DISPATCHES at a time, and before every read), so the CPU
 * never waits for the GPU except in `read`. Each dispatch's uniforms take one
 * 256-byte slot of a uniform buffer, uploaded once per batch. Storage comes
 * from a pool keyed by size; a pooled buffer is "stale" (logically zero) until
 * a kernel that overwrites it runs, and is cleared only if something reads it
 * first. A lost device or a WebGPU validation error becomes an exception on
 * the next call instead of wrong numbers or a hang.
 */
import { HandleError, type Handle, type MemoryInfo } from '../../backend.js';
import { PipelineCache, type Constants, type ShaderName } from './pipelines.js';
import { BufferPool } from './pool.js';
import { UNIFORM_BYTES, type UniformWriter } from './uniforms.js';

/** Thrown by every call once the GPU device is gone (driver reset, device.destroy(), ...). */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/** Thrown when WebGPU rejected a command: a bug in a kernel or its glue, never the user's input. */
export class WebGpuError extends Error {
  override name = 'WebGpuError';
}

/** Dispatches per submitted command buffer. */
const BATCH_DISPATCHES = 128;
/** Timestamp queries per profiled run: two per compute pass. */
const MAX_PROFILED_PASSES = 1024;
/** Free bytes the pools may keep for reuse before destroying buffers. */
const POOL_BYTES = 512 * 2 ** 20;
const READBACK_POOL_BYTES = 64 * 2 ** 20;

/** A tensor's storage: a GPU buffer of at least size * 4 bytes. */
export class GpuHandle implements Handle {
  freed = false;
  constructor(
    readonly size: number,
    readonly buffer: GPUBuffer,
    /** True while the buffer may hold an earlier owner's values: it reads as zeros. */
    public stale: boolean,
  ) {}
}

/** One kernel launch: which entry point, its uniforms, what it reads and writes, and its grid. */
export interface KernelCall {
  shader: ShaderName;
  entry: string;
  constants?: Constants;
  uniforms: UniformWriter;
  output: Handle;
  /** Inputs in binding order (2, 3, ...); null leaves a binding unused. */
  inputs: readonly (Handle | null)[];
  /** False when the kernel writes only part of the output: the rest must read as zeros. */
  overwrites?: boolean;
  workgroups: readonly [number, number?, number?];
}

export class GpuRuntime {
  readonly pipelines: PipelineCache;
  private readonly storage: BufferPool;
  private readonly readback: BufferPool;
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformData = new Uint8Array(BATCH_DISPATCHES * UNIFORM_BYTES);
  /** Bound to bindings a kernel does not use: one for read-only bindings, one for writable ones (a buffer cannot be both in one dispatch). */
  private readonly unused: GPUBuffer;
  private readonly unusedWritable: GPUBuffer;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  /** Buffers the unsubmitted encoder uses: queue.writeBuffer to them would jump ahead of it. */
  private readonly pending = new Set<GPUBuffer>();
  private toDestroy: GPUBuffer[] = [];
  private failure: Error | null = null;
  private readonly lostSignal: Promise<Error>;
  private profile: { querySet: GPUQuerySet; used: number } | null = null;
  private live = 0;
  private liveBytes = 0;

  constructor(
    readonly device: GPUDevice,
    readonly canTime: boolean,
  ) {
    this.pipelines = new PipelineCache(device);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.storage = new BufferPool(device, usage, POOL_BYTES);
    this.readback = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, READBACK_POOL_BYTES);
    this.uniformBuffer = device.createBuffer({ size: this.uniformData.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.unused = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    this.unusedWritable = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    this.lostSignal = device.lost.then((info) => {
      const error = new DeviceLostError(`webgpu: the GPU device was lost (${info.reason}): ${info.message || 'no reason given'}; the tensors on it are gone`);
      this.failure = error;
      return error;
    });
    device.onuncapturederror = (event) => {
      const message = event.error.message.split('\n')[0];
      this.failure ??= new WebGpuError(`webgpu: a command was rejected: ${message}`);
    };
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Invocations per workgroup for one-element-per-invocation kernels: a power of two, at most 256. */
  get workgroupSize(): number {
    const cap = Math.min(256, this.limits.maxComputeInvocationsPerWorkgroup, this.limits.maxComputeWorkgroupSizeX);
    return 2 ** Math.floor(Math.log2(cap));
  }

  /** Throws the device loss or validation error, if one happened. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  alloc(size: number): GpuHandle {
    this.check();
    const bytes = Math.max(16, Math.ceil((size * 4) / 16) * 16);
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new RangeError(`webgpu: a tensor of ${size} values needs ${bytes} bytes, more than this adapter binds (${this.limits.maxStorageBufferBindingSize})`);
    }
    const { buffer, fresh } = this.storage.acquire(bytes);
    this.live++;
    this.liveBytes += size * 4;
    return new GpuHandle(size, buffer, !fresh);
  }

  free(h: Handle): void {
    const g = this.own(h);
    g.freed = true;
    this.live--;
    this.liveBytes -= g.size * 4;
    const surplus = this.storage.release(g.buffer);
    if (surplus) this.destroy(surplus);
  }

  memory(): MemoryInfo {
    return { handles: this.live, bytes: this.liveBytes };
  }

  /** Bytes of freed buffers kept for reuse. */
  get pooledBytes(): number {
    return this.storage.pooledBytes;
  }

  write(h: Handle, values: Float32Array): void {
    this.check();
    const g = this.own(h);
    if (values.length !== g.size) throw new RangeError(`webgpu write: ${values.length} values for a handle of ${g.size}`);
    g.stale = false;
    if (g.size === 0) return;
    if (!this.pending.has(g.buffer)) {
      // Nothing queued uses the buffer, so writing now cannot overtake a kernel.
      this.device.queue.writeBuffer(g.buffer, 0, values);
      return;
    }
    const staging = this.device.createBuffer({ size: values.byteLength, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
    new Float32Array(staging.getMappedRange()).set(values);
    staging.unmap();
    this.commands().copyBufferToBuffer(staging, 0, g.buffer, 0, values.byteLength);
    this.toDestroy.push(staging);
  }

  async read(h: Handle): Promise<Float32Array> {
    this.check();
    const g = this.own(h);
    if (g.size === 0 || g.stale) return new Float32Array(g.size);
    const bytes = g.size * 4;
    const { buffer: staging } = this.readback.acquire(Math.ceil(bytes / 16) * 16);
    this.commands().copyBufferToBuffer(g.buffer, 0, staging, 0, bytes);
    this.flush();
    await this.mapped(staging);
    const values = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    const surplus = this.readback.release(staging);
    if (surplus) surplus.destroy();
    return values;
  }

  /** Encodes one kernel. */
  dispatch(call: KernelCall): void {
    this.check();
    const [x, y = 1, z = 1] = call.workgroups;
    const output = this.own(call.output);
    const inputs = call.inputs.map((h) => (h ? this.own(h) : null));
    if (inputs.includes(output)) throw new HandleError(`webgpu ${call.entry}: the output cannot also be an input`);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) throw new RangeError(`webgpu ${call.entry}: grid ${x}x${y}x${z} exceeds ${max} workgroups per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    for (const h of inputs) if (h?.stale) this.clear(h);
    if (call.overwrites === false && output.stale) this.clear(output);
    output.stale = false;

    if (this.dispatches === BATCH_DISPATCHES) this.flush();
    const slot = this.dispatches++ * UNIFORM_BYTES;
    this.uniformData.set(call.uniforms.bytes(), slot);
    const { pipeline, layout, inputs: inputBindings, writable } = this.pipelines.get(call.shader, call.entry, call.constants ?? {});
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.uniformBuffer, size: UNIFORM_BYTES } },
      { binding: 1, resource: { buffer: output.buffer } },
    ];
    for (let i = 0; i < inputBindings; i++) {
      entries.push({ binding: 2 + i, resource: { buffer: inputs[i]?.buffer ?? (i < writable ? this.unusedWritable : this.unused) } });
    }
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.device.createBindGroup({ layout, entries }), [slot]);
    pass.dispatchWorkgroups(x, y, z);
    this.pending.add(output.buffer);
    for (const h of inputs) if (h) this.pending.add(h.buffer);
  }

  /** Submits everything encoded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.dispatches > 0) this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformData, 0, this.dispatches * UNIFORM_BYTES);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.dispatches = 0;
    this.pending.clear();
    for (const b of this.toDestroy) b.destroy();
    this.toDestroy = [];
  }

  /**
   * GPU time in milliseconds of the kernels `run` encodes, summed over their
   * compute passes (timestamp queries); null when the device cannot time.
   */
  async timeKernels(run: () => void): Promise<number | null> {
    this.check();
    if (!this.canTime) return null;
    this.flush();
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 * MAX_PROFILED_PASSES });
    const profile = { querySet, used: 0 };
    this.profile = profile;
    try {
      run();
    } finally {
      this.endPass();
      this.profile = null;
    }
    const bytes = Math.max(profile.used, 2) * 8;
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.commands();
    if (profile.used > 0) encoder.resolveQuerySet(querySet, 0, profile.used, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    this.toDestroy.push(resolved);
    this.flush();
    try {
      await this.mapped(staging);
      const stamps = new BigUint64Array(staging.getMappedRange());
      let nanoseconds = 0n;
      for (let i = 0; i < profile.used; i += 2) {
        const span = stamps[i + 1]! - stamps[i]!;
        if (span > 0n) nanoseconds += span; // some drivers' clocks step back between passes
      }
      staging.unmap();
      return Number(nanoseconds) / 1e6;
    } finally {
      staging.destroy();
      querySet.destroy();
    }
  }

  private mapped(staging: GPUBuffer): Promise<void> {
    const mapping = staging.mapAsync(GPUMapMode.READ).then(
      () => null,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    return Promise.race([mapping, this.lostSignal]).then((error) => {
      this.check();
      if (error) throw new WebGpuError(`webgpu: reading back failed: ${error.message}`);
    });
  }

  private own(h: Handle): GpuHandle {
    if (!(h instanceof GpuHandle)) throw new HandleError('webgpu backend: handle belongs to another backend');
    if (h.freed) throw new HandleError('webgpu backend: handle used after free');
    return h;
  }

  private clear(h: GpuHandle): void {
    this.commands().clearBuffer(h.buffer);
    this.pending.add(h.buffer);
    h.stale = false;
  }

  /** Destroys a buffer once no queued command can use it. */
  private destroy(buffer: GPUBuffer): void {
    if (this.pending.has(buffer)) this.toDestroy.push(buffer);
    else buffer.destroy();
  }

  /** The open encoder, outside any pass (for copies and clears). */
  private commands(): GPUCommandEncoder {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      const encoder = (this.encoder ??= this.device.createCommandEncoder());
      const descriptor: GPUComputePassDescriptor = {};
      if (this.profile) {
        const at = this.profile.used;
        if (at >= 2 * MAX_PROFILED_PASSES) throw new RangeError(`webgpu timeKernels: more than ${MAX_PROFILED_PASSES} compute passes`);
        descriptor.timestampWrites = { querySet: this.profile.querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 };
        this.profile.used += 2;
      }
      this.pass = encoder.beginComputePass(descriptor);
    }
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}
