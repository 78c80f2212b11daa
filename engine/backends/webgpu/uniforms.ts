/**
 * Lays out one WGSL uniform struct in memory: scalar fields (u32, f32) and
 * arrays of vec4<u32>, in declaration order, with WGSL's alignment rules.
 * Each glue file has one function that writes its shader's struct field by
 * field, in the order the .wgsl file declares them.
 */
export class UniformWriter {
  private readonly view = new DataView(new ArrayBuffer(UNIFORM_BYTES));
  private offset = 0;

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`webgpu uniforms: ${value} is not a u32`);
    }
    this.view.setUint32(this.take(4, 4), value, true);
    return this;
  }

  f32(value: number): this {
    this.view.setFloat32(this.take(4, 4), value, true);
    return this;
  }

  bool(value: boolean): this {
    return this.u32(value ? 1 : 0);
  }

  /** array<vec4<u32>, count>: `values` padded with zeros to count * 4 entries. */
  vec4Array(values: readonly number[], count: number): this {
    if (values.length > count * 4) throw new RangeError(`webgpu uniforms: ${values.length} values do not fit ${count} vec4s`);
    const start = this.take(16 * count, 16);
    for (let i = 0; i < count * 4; i++) {
      const value = values[i] ?? 0;
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`webgpu uniforms: ${value} is not a u32`);
      this.view.setUint32(start + 4 * i, value, true);
    }
    return this;
  }

  /** The struct's bytes. */
  bytes(): Uint8Array {
    return new Uint8Array(this.view.buffer, 0, Math.ceil(this.offset / 16) * 16);
  }

  private take(size: number, align: number): number {
    const at = Math.ceil(this.offset / align) * align;
    if (at + size > UNIFORM_BYTES) throw new RangeError(`webgpu uniforms: struct larger than ${UNIFORM_BYTES} bytes`);
    this.offset = at + size;
    return at;
  }
}

/**
 * Bytes reserved per dispatch for its uniforms: the largest struct, and a
 * multiple of every minUniformBufferOffsetAlignment WebGPU allows (<= 256).
 */
export const UNIFORM_BYTES = 256;
