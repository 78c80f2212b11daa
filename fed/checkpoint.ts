/**
 * A generators checkpoint: the global generators in safetensors format, by
 * their PyTorch names, with the metadata that rebuilds the model (model,
 * width, size, contrasts, identity) and the run's test set (data, seed,
 * test fraction, phantom settings). Written by `fedmed train` and by the
 * browser page's demo; read by `fedmed eval`, `fedmed translate` and the
 * page. Browser-safe: bytes in, bytes out (cli/checkpoint-model.ts finds
 * and reads the files). Every problem is one line naming the file.
 */
import { parseContrast, type Contrast } from '../data/index.js';
import { decodeSafetensors, encodeSafetensors, type StateEntry } from '../engine/index.js';
import { createModel, modelNames, type GanModel, type IdentityVariant, type ModelName } from '../models/index.js';
import { readNamed, writeNamed } from './state.js';

/** The model and the run facts a generators file records. */
export interface CheckpointMetadata {
  model: ModelName;
  /** First-layer channels. */
  width: number;
  /** Slice side the model was trained at, pixels. */
  size: number;
  /** Domain a and domain b: a2b translates source -> target. */
  source: Contrast;
  target: Contrast;
  identity: IdentityVariant;
  /** Rounds (epochs, when centralized) trained. */
  round?: number;
  /** The run's data ('phantom' or a folder), its split and phantom settings: what rebuilds its test set. */
  data?: string;
  seed?: number;
  testFraction?: number;
  phantomSubjects?: number;
  phantomSize?: number;
  /** The run left out subjects with problems (--skip-bad-subjects); its split is remade the same way. */
  skipBadSubjects?: boolean;
  /** The subjects the run left out (ids, stored comma-separated). */
  skippedSubjects?: string[];
  /** The run's held-out test subjects (ids, stored comma-separated); absent from runs written before they were recorded. */
  testSubjects?: string[];
}

export interface Checkpoint {
  /** The generators file read. */
  file: string;
  metadata: CheckpointMetadata;
  tensors: Map<string, StateEntry>;
}

/** The metadata as the strings a safetensors header holds (undefined facts left out). */
export function metadataRecord(m: CheckpointMetadata): Record<string, string> {
  const entries = Object.entries(m).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}

/** A generators file of `model`'s current generators (it must be the model `metadata` describes). */
export async function encodeCheckpoint(model: GanModel, metadata: CheckpointMetadata): Promise<Uint8Array> {
  return encodeSafetensors(await readNamed(model.generatorParameters()), metadataRecord(metadata));
}

/**
 * A generators file's bytes, checked; `file` names it in messages. Needs no
 * backend. A non-finite weight is refused: a bare file (the page's, a Flower
 * server's output) has no manifest, and NaN weights would translate every
 * voxel to NaN without a word.
 */
export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  for (const [name, { values }] of tensors) {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${file}: tensor ${name} holds ${values[bad]} at flat index ${bad}; the generators are damaged or diverged`);
  }
  return { file, metadata: parseMetadata(metadata, file), tensors };
}

/** The checked metadata of a generators file named `file`. */
export function parseMetadata(raw: Record<string, string>, file: string): CheckpointMetadata {
  const meta: Record<string, unknown> = raw && typeof raw === 'object' ? raw : {};
  if (meta.model === undefined) throw new Error(`${file}: no model in its metadata; not a generators checkpoint written by fedmed train`);
  const text = (key: string): string => {
    const value = meta[key];
    if (typeof value !== 'string' || value === '') throw new Error(`${file}: its metadata has no ${key}`);
    return value;
  };
  const bad = (key: string, wanted: string): never => {
    throw new Error(`${file}: metadata ${key} is ${JSON.stringify(meta[key])}, expected ${wanted}`);
  };
  const integer = (key: string, min: number): number => {
    const n = Number(text(key));
    return Number.isInteger(n) && n >= min ? n : bad(key, `a whole number >= ${min}`);
  };
  const contrast = (key: string): Contrast => parseContrast(text(key)) ?? bad(key, 'a contrast');
  const optional = <T>(key: string, read: (key: string) => T): T | undefined => (meta[key] === undefined ? undefined : read(key));
  const model = text('model');
  if (!(modelNames as readonly string[]).includes(model)) bad('model', `one of ${modelNames.join(', ')}`);
  const identity = text('identity');
  if (identity !== 'standard' && identity !== 'reference') bad('identity', 'standard or reference');
  const out: CheckpointMetadata = {
    model: model as ModelName,
    width: integer('width', 1),
    size: integer('size', 1),
    source: contrast('source'),
    target: contrast('target'),
    identity: identity as IdentityVariant,
    round: optional('round', (k) => integer(k, 0)),
    data: optional('data', text),
    seed: optional('seed', (k) => integer(k, 0)),
    testFraction: optional('testFraction', (k) => {
      const f = Number(text(k));
      return f > 0 && f < 1 ? f : bad(k, 'a number in (0, 1)');
    }),
    phantomSubjects: optional('phantomSubjects', (k) => integer(k, 2)),
    phantomSize: optional('phantomSize', (k) => integer(k, 1)),
    skipBadSubjects: optional('skipBadSubjects', (k) => text(k) === 'true'),
    skippedSubjects: optional('skippedSubjects', (k) => text(k).split(',')),
    testSubjects: optional('testSubjects', (k) => text(k).split(',')),
  };
  if (out.source === out.target) bad('target', `a contrast other than the source ${out.source}`);
  return out;
}

/**
 * The model of a checkpoint with its generators loaded (discriminators stay
 * freshly initialised: translation never uses them). Needs the backend set.
 * The caller disposes the model.
 */
export function buildModel(checkpoint: Checkpoint): GanModel {
  const { file, metadata: m } = checkpoint;
  let model: GanModel;
  try {
    model = createModel(m.model, { width: m.width, size: m.size, identity: m.identity, seed: m.seed ?? 3, contrasts: [m.source, m.target] });
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  try {
    writeNamed(model.generatorParameters(), checkpoint.tensors, `${file} (${m.model}, width ${m.width})`);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** "cyclegan PD<->T2, width 16, 64 px, round 30" (a round is an epoch of centralized training). */
export function describeCheckpoint(m: CheckpointMetadata): string {
  return `${m.model} ${m.source}<->${m.target}, width ${m.width}, ${m.size} px${m.round === undefined ? '' : `, round ${m.round}`}`;
}
