/**
 * GPU buffers recycled by byte size. A training step allocates the same sizes
 * every step, so after the first step nearly every allocation is a reuse.
 * Freed buffers are kept up to a byte budget; past it they are destroyed (the
 * caller decides when that is safe, as queued work may still use them).
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly maxFreeBytes: number,
  ) {}

  /** A buffer of exactly `bytes` bytes; `fresh` when newly created (and so zero-filled). */
  acquire(bytes: number): { buffer: GPUBuffer; fresh: boolean } {
    const reused = this.free.get(bytes)?.pop();
    if (reused) {
      this.freeBytes -= bytes;
      return { buffer: reused, fresh: false };
    }
    return { buffer: this.device.createBuffer({ size: bytes, usage: this.usage }), fresh: true };
  }

  /** Takes a buffer back; returns it when over budget, for the caller to destroy. */
  release(buffer: GPUBuffer): GPUBuffer | null {
    if (this.freeBytes + buffer.size > this.maxFreeBytes) return buffer;
    const list = this.free.get(buffer.size);
    if (list) list.push(buffer);
    else this.free.set(buffer.size, [buffer]);
    this.freeBytes += buffer.size;
    return null;
  }

  /** Bytes held by free buffers waiting for reuse. */
  get pooledBytes(): number {
    return this.freeBytes;
  }
}
