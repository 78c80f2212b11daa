/**
 * Node-only: a folder's manifest, `manifest.json`, records the SHA-256 of
 * every file the folder holds and a fingerprint of the settings that made
 * them. It is written last and atomically, so a folder with a manifest is
 * whole; `verifyFolder` refuses a folder whose files differ from it, naming
 * the file. Nothing here knows what the files are (training checkpoints, a
 * node's state); an owner may name the manifest otherwise and keep its own
 * fields in it (a node's `state.json` holds its ledger).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileError, isInside, readFileOrExplain, writeFileAtomic } from './atomic.js';

export const manifestFile = 'manifest.json';

export interface Manifest {
  /** File name (relative to the folder) -> SHA-256, hex. */
  files: Record<string, string>;
  /** The settings that made the files, as given to writeManifest. */
  settings: Record<string, unknown>;
  /** SHA-256 of the settings' canonical JSON. */
  fingerprint: string;
  /** The owner's own fields, as given to writeManifest. */
  extra: Record<string, unknown>;
}

export interface ManifestOptions {
  /** The manifest's name in the folder (default manifest.json). */
  file?: string;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted, so equal settings give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function fingerprint(settings: Record<string, unknown>): string {
  return sha256(canonical(settings));
}

/** The keys whose values differ between two settings objects (either side may lack a key), sorted. */
export function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => canonical(a[k]) !== canonical(b[k])).sort();
}

/** Hashes `names` (files inside `dir`) and writes the manifest, with the owner's `extra` fields, last and atomically. */
export async function writeManifest(
  dir: string,
  names: readonly string[],
  settings: Record<string, unknown>,
  options: ManifestOptions & { extra?: Record<string, unknown> } = {},
): Promise<Manifest> {
  const files: Record<string, string> = {};
  for (const name of names) files[name] = sha256(await readFileOrExplain(path.join(dir, name)));
  const extra = options.extra ?? {};
  const manifest: Manifest = { files, settings, fingerprint: fingerprint(settings), extra };
  await writeFileAtomic(path.join(dir, options.file ?? manifestFile), JSON.stringify({ ...extra, files, settings, fingerprint: manifest.fingerprint }, null, 2) + '\n');
  return manifest;
}

/** The folder's manifest, checked for shape; null when the folder has none. */
export async function readManifest(dir: string, options: ManifestOptions = {}): Promise<Manifest | null> {
  const file = path.join(dir, options.file ?? manifestFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileError('read', file, e);
  }
  let parsed: Partial<Manifest> & Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Partial<Manifest> & Record<string, unknown>;
  } catch {
    throw new Error(`${file}: not valid JSON; the folder cannot be verified`);
  }
  const files = parsed?.files;
  if (!files || typeof files !== 'object' || Object.entries(files).some(([k, v]) => !isInside(k) || typeof v !== 'string')) {
    throw new Error(`${file}: no valid list of files; the folder cannot be verified`);
  }
  const settings = parsed.settings && typeof parsed.settings === 'object' ? parsed.settings : {};
  const { files: _files, settings: _settings, fingerprint: _fingerprint, ...extra } = parsed;
  return { files, settings, fingerprint: fingerprint(settings), extra };
}

/**
 * Checks every file the manifest lists against its SHA-256; returns the
 * manifest. A folder without a manifest is refused unless `optional`.
 */
export async function verifyFolder(dir: string, options: ManifestOptions & { optional?: boolean } = {}): Promise<Manifest | null> {
  const name = options.file ?? manifestFile;
  const manifest = await readManifest(dir, options);
  if (!manifest) {
    if (options.optional) return null;
    throw new Error(`${dir}: no ${name}; the folder is incomplete or was not written by fedmed`);
  }
  for (const [listed, hash] of Object.entries(manifest.files)) {
    const file = path.join(dir, listed);
    if (sha256(await readFileOrExplain(file)) !== hash) throw new Error(`${file}: its contents differ from ${name} (SHA-256 mismatch); the file was changed or damaged`);
  }
  return manifest;
}
