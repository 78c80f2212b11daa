/**
 * What the engine needs from the host that differs between Node and a
 * browser. The browser's versions are the defaults; Node's entry points
 * install theirs with setPlatform() (see platform/node.ts), so the engine
 * itself imports no Node-only module.
 */
export interface Platform {
  /** The WebGPU entry point, or null when there is none. */
  gpu(): Promise<GPU | null>;
  /** Logical processors available to worker threads. */
  cores(): number;
}

const browserPlatform: Platform = {
  gpu: async () => (typeof navigator !== 'undefined' && 'gpu' in navigator ? navigator.gpu : null),
  cores: () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1),
};

let current: Platform = browserPlatform;

export function setPlatform(p: Platform): void {
  current = p;
}

export function platform(): Platform {
  return current;
}
