/**
 * A node's heartbeats, on a thread of their own as in Flower's own
 * SuperNode. Training runs the kernels synchronously, so the main thread's
 * timers do not fire during a round (a 15 s round of the main job fires
 * none); a paper-scale round lasts longer than the 2 x interval after
 * which the SuperLink takes a silent node for offline. Flower's schedule:
 * the first beat at once (the caller sends it), then every
 * (interval - 5) x U(0.7, 0.9) s, each call with a 5 s deadline.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { NodeKey } from './auth.js';
import { FleetClient } from './fleet.js';

interface HeartbeatSettings {
  role: 'fedmed-heartbeat';
  superlink: string;
  privateKeyPem: string;
  rootCertificates?: Uint8Array;
  nodeId: bigint;
  interval: number;
}

/** Seconds each heartbeat call may take (Flower's HEARTBEAT_CALL_TIMEOUT). */
export const HEARTBEAT_CALL_TIMEOUT = 5;

export interface Heartbeats {
  stop(): Promise<void>;
}

/** Starts the heartbeats that follow the first one; what goes wrong comes back as log lines. */
export function startHeartbeats(settings: Omit<HeartbeatSettings, 'role'>, log: (line: string) => void): Heartbeats {
  const data: HeartbeatSettings = { ...settings, role: 'fedmed-heartbeat' };
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  worker.on('message', (line: string) => log(line));
  worker.on('error', (e) => log(`the heartbeat thread failed: ${e.message}`));
  worker.unref();
  return { stop: async () => void (await worker.terminate()) };
}

function beat(settings: HeartbeatSettings): void {
  const fleet = new FleetClient(settings.superlink, NodeKey.fromPem(settings.privateKeyPem), { rootCertificates: settings.rootCertificates });
  const next = () => setTimeout(once, (settings.interval - 5) * (0.7 + 0.2 * Math.random()) * 1000);
  const once = async () => {
    try {
      await fleet.call('sendNodeHeartbeat', { node: { nodeId: settings.nodeId }, heartbeatInterval: settings.interval }, HEARTBEAT_CALL_TIMEOUT);
    } catch (e) {
      parentPort!.postMessage(`heartbeat failed: ${(e as Error).message}`);
    }
    next();
  };
  next();
}

if (!isMainThread && (workerData as HeartbeatSettings | undefined)?.role === 'fedmed-heartbeat') beat(workerData as HeartbeatSettings);
