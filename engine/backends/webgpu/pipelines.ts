/**
 * Shader modules, bind-group layouts and compute pipelines, each made once.
 *
 * Every shader family binds the same way: binding 0 its uniform struct (at a
 * dynamic offset into the batch's uniform buffer), binding 1 the output,
 * bindings 2... the inputs. The layouts are explicit, so that entry points
 * of one family can share bind groups' shape whatever they read. The
 * optimizer and norm families also write their first inputs (state updated
 * in place; statistics and affine gradients). A pipeline
 * is cached by (shader, entry point, override constants).
 */
import { shaders, type ShaderName } from './shaders.generated.js';
import { UNIFORM_BYTES } from './uniforms.js';

export type { ShaderName };

/** Input bindings per shader family (bindings 2, 3, ...). */
const inputCount: Record<ShaderName, number> = {
  conv: 3,
  elementwise: 2,
  reduce: 1,
  resample: 1,
  optim: 3,
  norm: 7,
  dp: 2,
  loss: 3,
};

/** Inputs, counted from the first, that the kernels also write (optimizer state updated in place, norm statistics). */
const writableInputs: Partial<Record<ShaderName, number>> = { optim: 2, norm: 2 };

export type Constants = Readonly<Record<string, number | boolean>>;

export interface Pipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly inputs: number;
  /** Of those, how many (from the first) the kernels may write. */
  readonly writable: number;
}

export class PipelineCache {
  private readonly modules = new Map<ShaderName, GPUShaderModule>();
  private readonly layouts = new Map<ShaderName, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private readonly pipelines = new Map<string, Pipeline>();

  constructor(private readonly device: GPUDevice) {}

  get(shader: ShaderName, entry: string, constants: Constants): Pipeline {
    const key = `${shader}.${entry}(${Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',')})`;
    let cached = this.pipelines.get(key);
    if (!cached) {
      const layout = this.layout(shader);
      const pipeline = this.device.createComputePipeline({
        label: key,
        layout: layout.pipeline,
        compute: {
          module: this.module(shader),
          entryPoint: entry,
          constants: Object.fromEntries(Object.entries(constants).map(([k, v]) => [k, Number(v)])),
        },
      });
      cached = { pipeline, layout: layout.group, inputs: inputCount[shader], writable: writableInputs[shader] ?? 0 };
      this.pipelines.set(key, cached);
    }
    return cached;
  }

  /** Pipelines compiled so far. */
  get size(): number {
    return this.pipelines.size;
  }

  private module(shader: ShaderName): GPUShaderModule {
    let m = this.modules.get(shader);
    if (!m) {
      m = this.device.createShaderModule({ label: `kernels/wgsl/${shader}.wgsl`, code: shaders[shader] });
      this.modules.set(shader, m);
    }
    return m;
  }

  private layout(shader: ShaderName): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    let l = this.layouts.get(shader);
    if (!l) {
      const visibility = GPUShaderStage.COMPUTE;
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: UNIFORM_BYTES } },
        { binding: 1, visibility, buffer: { type: 'storage' } },
      ];
      const writable = writableInputs[shader] ?? 0;
      for (let i = 0; i < inputCount[shader]; i++) {
        entries.push({ binding: 2 + i, visibility, buffer: { type: i < writable ? 'storage' : 'read-only-storage' } });
      }
      const group = this.device.createBindGroupLayout({ label: shader, entries });
      l = { group, pipeline: this.device.createPipelineLayout({ label: shader, bindGroupLayouts: [group] }) };
      this.layouts.set(shader, l);
    }
    return l;
  }
}
