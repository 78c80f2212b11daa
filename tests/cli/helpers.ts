/**
 * What the CLI tests share: running the built `fedmed` in a child process, a
 * scratch folder removed at exit, small NIfTI volumes, and generators
 * checkpoints made from a freshly initialised model (no training needed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHeader } from '../../data/index.js';
import { readNiftiFile, writeNiftiFile } from '../../data/fs/index.js';
import { datatypeByName } from '../../data/nifti/datatype.js';
import { encodeSafetensors, type StateEntry } from '../../engine/index.js';
import { readNamed } from '../../fed/state.js';
import { createModel, type GanModel, type ModelName } from '../../models/index.js';

/** The built CLI's entry point (dist/cli/main.js), for a test that runs `fedmed` in the background: node fedmedPath ARGS. */
export const fedmedPath = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function fedmed(...args: string[]): CliResult {
  return fedmedWith([], {}, args);
}

/** Runs `fedmed ARGS` with a full disk (the test double tests/helpers/full-disk.ts): `bytes` fit, the write past them fails with ENOSPC. */
export function fedmedWithFullDisk(bytes: number, ...args: string[]): CliResult {
  return fedmedWith(['--import', new URL('../helpers/full-disk.js', import.meta.url).href], { FEDMED_TEST_DISK_BYTES: String(bytes) }, args);
}

function fedmedWith(nodeArgs: string[], env: Record<string, string>, args: string[]): CliResult {
  const r = spawnSync(process.execPath, [...nodeArgs, fedmedPath, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * How to run `fedmed` as a user without privileges, for a permission test:
 * as is for a user who is not root; as root (who may write anywhere, as in
 * CI), the command goes through setpriv as nobody (uid 65534). Null where
 * neither can be done (the caller skips with test.skip).
 */
export const unprivilegedFedmed: ((...args: string[]) => CliResult) | null = (() => {
  if (process.getuid?.() !== 0) return fedmed;
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  if (spawnSync('setpriv', [...asNobody, 'true']).status !== 0) return null;
  return (...args: string[]) => {
    const r = spawnSync('setpriv', [...asNobody, process.execPath, fedmedPath, ...args], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
})();

/** The user and mount namespaces fedmedOnTmpfs needs: where the system allows none, its tests are skipped (test.skip), not passed. */
export const tmpfsMountable = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']).status === 0;

/**
 * Runs `fedmed ARGS` with a tmpfs mounted (`mountOptions`, such as
 * 'ro,size=64k') over the existing folder `mountPoint`, in a user and mount
 * namespace of its own, so that a read-only or full file system is real even
 * for root and needs no privileges; null where the system allows no such
 * namespace (the caller says so and skips).
 */
export function fedmedOnTmpfs(mountOptions: string, mountPoint: string, ...args: string[]): CliResult | null {
  return shellOnTmpfs(mountOptions, mountPoint, 'exec "$NODE" "$FEDMED" "$@"', args);
}

/**
 * Runs the shell `script` as fedmedOnTmpfs runs fedmed: the tmpfs is
 * mounted over `mountPoint` first; the script finds node and the built CLI
 * in $NODE and $FEDMED, the mount point in $MNT and `args` in "$@".
 */
export function shellOnTmpfs(mountOptions: string, mountPoint: string, script: string, args: string[] = []): CliResult | null {
  const namespace = ['--user', '--map-root-user', '--mount'];
  if (!tmpfsMountable) return null;
  const mounted = `mount -t tmpfs -o "$OPTIONS" tmpfs "$MNT" || exit 99\n${script}`;
  const env = { ...process.env, OPTIONS: mountOptions, MNT: mountPoint, NODE: process.execPath, FEDMED: fedmedPath };
  const r = spawnSync('unshare', [...namespace, 'sh', '-c', mounted, 'sh', ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Scratch folders to remove at exit, by one listener (the suite runs in one process; a listener each would pass Node's limit of 10). */
const scratchDirs: string[] = [];

/** A fresh folder under the OS temp folder, removed when the process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fedmed-${prefix}-`));
  if (scratchDirs.length === 0) process.on('exit', () => scratchDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  scratchDirs.push(dir);
  return dir;
}

/** Writes a float32 volume [nx, ny, nz] (x fastest) with a simple affine (1 mm voxels, origin shifted). */
export async function writeVolume(file: string, shape: number[], values: ArrayLike<number>): Promise<void> {
  const affine = [
    [1, 0, 0, -10],
    [0, 1, 0, -20],
    [0, 0, 2, 5],
    [0, 0, 0, 1],
  ];
  const header = createHeader({ shape, spacing: shape.map((_, i) => (i === 2 ? 2 : 1)), affine, datatype: datatypeByName('float32') });
  await writeNiftiFile(file, header, values);
}

/** Rewrites the NIfTI `file` with `change` applied to its voxels, keeping its header (so it stays in its subject's grid). */
export async function editVolume(file: string, change: (values: Float32Array, shape: number[]) => void): Promise<void> {
  const volume = await readNiftiFile(file);
  const values = Float32Array.from(volume.data);
  change(values, volume.shape);
  await writeNiftiFile(file, volume.header, values, { datatype: 'float32' });
}

export interface FreshCheckpoint {
  file: string;
  /** The model whose generators the file holds; the caller disposes it. */
  model: GanModel;
}

/**
 * A generators.safetensors of a freshly created model (the backend must be
 * set), with the metadata `fedmed train` writes; `metadata` overrides or,
 * with undefined values, removes keys; `editWeights` changes the weights
 * written (not the model returned).
 */
export async function freshCheckpoint(
  file: string,
  options: { model?: ModelName; width?: number; size?: number; seed?: number; editWeights?: (named: Map<string, StateEntry>) => void } = {},
  metadata: Record<string, string | undefined> = {},
): Promise<FreshCheckpoint> {
  const name = options.model ?? 'cyclegan';
  const width = options.width ?? 2;
  const size = options.size ?? 32;
  const model = createModel(name, { width, size, seed: options.seed ?? 7 });
  const base: Record<string, string | undefined> = {
    model: name,
    width: String(width),
    size: String(size),
    source: 'T1',
    target: 'T2',
    identity: 'standard',
    round: '1',
    ...metadata,
  };
  const kept = Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
  const named = await readNamed(model.generatorParameters());
  options.editWeights?.(named);
  writeFileSync(file, encodeSafetensors(named, kept));
  return { file, model };
}

/** Sets generatorAB's and generatorBA's first conv weights to 3e38: finite, so the checkpoint's NaN check passes, but every output overflows to NaN, as a diverged run's does. */
export function overflowWeights(named: Map<string, StateEntry>): void {
  for (const [name, entry] of named) if (/^generator(AB|BA)\.down1\.model\.0\.weight$/.test(name)) entry.values.fill(3e38);
}
