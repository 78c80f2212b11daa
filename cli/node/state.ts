/**
 * A Flower node's state folder: what never leaves the hospital, kept so that
 * a node killed at any moment and started again rejoins as the same
 * hospital, with its discriminators, Adam moments and privacy ledger. (Its
 * key is not kept: like Flower's own SuperNode, every start registers a
 * fresh one, so a restart need not wait for the SuperLink to see the old
 * key go offline.)
 *
 *   DIR/client-round-0003.safetensors   discriminators and both Adam states after server round 3
 *   DIR/state.json                      settings, ledger, rounds, and which client file is current
 *
 * state.json is rewritten atomically and names the client file (with its
 * SHA-256) it goes with; a client file is complete before state.json names
 * it and older ones are removed after, so whatever state.json names is
 * whole. The ledger is written before a round trains, so a crash mid-round
 * over-counts the privacy spent, never under-counts it. The folder follows a
 * run folder's rules (store/): probed before any data is read (writable, not
 * under /proc or /sys, room for the client file), a killed writer's
 * temporary files removed on start, every file named in errors.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../../engine/index.js';
import { fileError, writeFileAtomic } from '../../store/atomic.js';
import { probeOutputFolder, removeTempFiles } from '../../store/folder.js';
import { changedKeys, sha256 } from '../../store/manifest.js';
import { short } from '../../fed/flower/objects.js';
import type { Client } from '../../fed/client.js';
import type { LedgerEntry } from '../../fed/dp/ledger.js';
import type { TrainedRound } from '../../fed/flower/hospital.js';

const STATE = 'state.json';

export interface NodeStateJson {
  version: 1;
  /** The settings the folder was made with; a restart with others is refused. */
  settings: Record<string, unknown>;
  /** The current client file and its SHA-256, null before the first round. */
  client: { file: string; sha256: string } | null;
  ledger: LedgerEntry[];
  rounds: TrainedRound[];
}

export class NodeState {
  private constructor(
    readonly dir: string,
    private json: NodeStateJson,
  ) {}

  get ledger(): readonly LedgerEntry[] {
    return this.json.ledger;
  }

  get rounds(): readonly TrainedRound[] {
    return this.json.rounds;
  }

  /**
   * Opens `dir` (created when missing) for a node with `settings`: a folder
   * made with other settings is refused naming the keys that differ.
   * `bytesNeeded`: the size of a client file, checked free.
   */
  static async open(dir: string, settings: Record<string, unknown>, bytesNeeded = 0): Promise<NodeState> {
    await probeOutputFolder(dir, bytesNeeded);
    await removeTempFiles(dir);
    const file = path.join(dir, STATE);
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError('read', file, e);
    }
    if (text === null) {
      const state = new NodeState(dir, { version: 1, settings, client: null, ledger: [], rounds: [] });
      await state.write();
      return state;
    }
    const json = parseState(text, file);
    const changed = changedKeys(json.settings, settings);
    if (changed.length) {
      throw new Error(`${dir}: this state folder belongs to a node with other settings (${changed.map((k) => `${k}: ${show(json.settings[k])} -> ${show(settings[k])}`).join(', ')}); start with those, or give a new --state folder`);
    }
    return new NodeState(dir, json);
  }

  /** Restores the client's private state from the current client file, checking its SHA-256. */
  async restore(client: Client): Promise<void> {
    const current = this.json.client;
    if (!current) return;
    const file = path.join(this.dir, current.file);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw fileError('read', file, e);
    }
    const sha = sha256(bytes);
    if (sha !== current.sha256) throw new Error(`${file}: SHA-256 ${short(sha)} is not the ${short(current.sha256)} that ${STATE} records; the state folder is damaged`);
    client.restorePrivateState(decodeSafetensors(bytes, file).tensors, file);
  }

  async saveLedger(entries: readonly LedgerEntry[]): Promise<void> {
    this.json = { ...this.json, ledger: [...entries] };
    await this.write();
  }

  /** After a round: the client's private state, then state.json naming it, then old client files go. */
  async saveRound(client: Client, round: TrainedRound): Promise<void> {
    const name = `client-round-${String(round.serverRound).padStart(4, '0')}.safetensors`;
    const bytes = encodeSafetensors(await client.privateState());
    await writeFileAtomic(path.join(this.dir, name), bytes);
    this.json = { ...this.json, client: { file: name, sha256: sha256(bytes) }, rounds: [...this.json.rounds, round] };
    await this.write();
    for (const old of await readdir(this.dir)) {
      if (old.startsWith('client-round-') && old !== name) await rm(path.join(this.dir, old), { force: true });
    }
  }

  private write(): Promise<void> {
    return writeFileAtomic(path.join(this.dir, STATE), JSON.stringify(this.json, null, 2) + '\n');
  }
}

function parseState(text: string, file: string): NodeStateJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message.split('\n')[0]}); the state folder is damaged`);
  }
  const j = json as Partial<NodeStateJson> | null;
  if (!j || j.version !== 1 || typeof j.settings !== 'object' || !Array.isArray(j.ledger) || !Array.isArray(j.rounds)) {
    throw new Error(`${file}: not a fedmed node state (version 1 with settings, ledger and rounds)`);
  }
  return j as NodeStateJson;
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
