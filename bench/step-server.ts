/**
 * Serves one fedmed build's training steps one at a time over JSON lines
 * (the protocol is bench/step-process.ts's), for `fedmed bench step
 * --against`: {"setup": {"build", "backend", "threads", "model", "size",
 * "width", "batch", "dp"}} loads that build (a folder, bench/builds.ts) and
 * prepares the step; each {"step": true} runs one and answers its wall and
 * CPU milliseconds ({"ms", "cpuMs"}: the process's CPU time, all threads).
 * Its stdin's end ends it.
 */
import { createInterface } from 'node:readline';
import type { BackendChoice } from '../engine/index.js';
import { buildRoot, loadBuild } from './builds.js';
import { prepareStep, type PreparedStep, type StepConfig } from './step.js';

interface Setup extends StepConfig {
  build: string;
  backend: BackendChoice;
  threads?: number;
}

let prepared = null as PreparedStep | null;

async function answer(message: { setup?: Setup; step?: boolean }): Promise<object> {
  if (message.setup) {
    const s = message.setup;
    const { api, describe } = await loadBuild(buildRoot(s.build), s.backend, s.threads);
    prepared?.dispose();
    prepared = prepareStep(api, s);
    return { ready: true, describe };
  }
  if (message.step) {
    if (!prepared) throw new Error('step before setup');
    const cpu = process.cpuUsage();
    const ms = await prepared.step();
    const { user, system } = process.cpuUsage(cpu);
    return { ms, cpuMs: (user + system) / 1000 };
  }
  throw new Error(`unknown request ${JSON.stringify(message)}`);
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const reply = await answer(JSON.parse(line)).catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
prepared?.dispose();
