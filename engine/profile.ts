/**
 * Kernel profiling: a backend wrapped so that every kernel call is counted
 * and timed, with FLOPs for the kernels that have a count (convolutions,
 * matmul). Synchronous backends (js, wasm) are timed by the wall clock
 * around each call; a backend with timeKernels (webgpu) by the device's
 * timestamps, one query per kernel call. Install the wrapped backend before
 * creating the tensors to profile: tensors are tied to the backend object.
 */
import type { Backend, ConvGeometry, MatmulGeometry } from './backend.js';

export interface KernelStat {
  /** The kernel, with the unary or binary op where there is one: 'conv2d', 'unary:tanh'. */
  kernel: string;
  calls: number;
  ms: number;
  flops: number;
}

export interface Profiler {
  backend: Backend;
  /** Every kernel's totals so far, after all device timings have arrived; most time first. */
  stats(): Promise<KernelStat[]>;
  /** Whether times are device timestamps (true) or wall time. */
  deviceTimed: boolean;
  reset(): void;
}

const kernels = new Set<string>([
  'fill', 'unary', 'activationBackward', 'binary', 'reduceSum', 'copy', 'conv2d', 'conv2dBackwardData', 'conv2dBackwardFilter', 'matmul',
  'avgPool2d', 'avgPool2dBackward', 'upsampleNearest', 'upsampleNearestBackward', 'padReflect', 'padReflectBackward', 'instanceNorm', 'instanceNormBackward', 'sumSquaresPerSample', 'clippedSumWithNoise', 'adam', 'pointLoss', 'pointLossBackward', 'randomNormal',
] satisfies (keyof Backend)[]);

function convFlops(g: ConvGeometry): number {
  return 2 * g.n * g.cOut * g.outH * g.outW * g.cIn * g.kH * g.kW;
}

/** FLOPs of one call, for the kernels where the count means something. */
function flopsOf(kernel: string, args: unknown[]): number {
  if (kernel.startsWith('conv2d')) return convFlops(args[kernel === 'conv2d' ? 4 : 3] as ConvGeometry);
  if (kernel === 'matmul') {
    const g = args[3] as MatmulGeometry;
    return 2 * g.batch * g.m * g.n * g.k;
  }
  return 0;
}

export function profileBackend(inner: Backend, options: { deviceTiming?: boolean } = {}): Profiler {
  const stats = new Map<string, KernelStat>();
  let pending: Promise<void>[] = [];
  const deviceTimed = (options.deviceTiming ?? true) && typeof inner.timeKernels === 'function';
  const account = (kernel: string, ms: number, flops: number) => {
    const s = stats.get(kernel) ?? { kernel, calls: 0, ms: 0, flops: 0 };
    s.calls++;
    s.ms += ms;
    s.flops += flops;
    stats.set(kernel, s);
  };
  const backend = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !kernels.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        const kernel = prop === 'unary' || prop === 'binary' ? `${prop}:${String(args[0])}` : prop;
        const flops = flopsOf(prop, args);
        const call = () => (value as (...a: unknown[]) => void).apply(target, args);
        if (deviceTimed) {
          pending.push(target.timeKernels!(call).then((ms) => account(kernel, ms ?? 0, flops)));
          return;
        }
        const t0 = performance.now();
        call();
        account(kernel, performance.now() - t0, flops);
      };
    },
  });
  return {
    backend,
    deviceTimed,
    async stats() {
      await Promise.all(pending);
      pending = [];
      return [...stats.values()].sort((a, b) => b.ms - a.ms);
    },
    reset() {
      stats.clear();
      pending = [];
    },
  };
}
