/**
 * fedmed builds by folder, for timing one build against another
 * (`fedmed bench step --against DIR`): a checkout with its dist/, or a dist
 * folder itself, and the modules a training step needs from it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendChoice } from '../engine/index.js';
import type { StepApi } from './step.js';

/** This build's dist folder. */
export const thisBuildRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The dist folder of the build in `dir`; a one-line error when there is none. */
export function buildRoot(dir: string): string {
  for (const root of [path.join(dir, 'dist'), dir]) {
    if (existsSync(path.join(root, 'engine', 'index.js'))) return path.resolve(root);
  }
  throw new Error(`${dir}: no fedmed build here (neither dist/engine/index.js nor engine/index.js; run npm run build there)`);
}

/** The build's step modules, with its Node platform installed and `backend` current. */
export async function loadBuild(root: string, backend: BackendChoice, threads?: number): Promise<{ api: StepApi; describe: string }> {
  const load = (file: string) => import(pathToFileURL(path.join(root, file)).href);
  const [engine, models, dpsgd, platform] = await Promise.all(['engine/index.js', 'models/index.js', 'fed/dp/dpsgd.js', 'platform/node.js'].map(load));
  platform.installNodePlatform();
  const b = await engine.setBackend(backend, { threads });
  return { api: { engine, models, dpsgd }, describe: `${b.name}: ${b.describe()}` };
}
