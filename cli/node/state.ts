/**
 * A Flower node's state folder: what never leaves the hospital, kept so that
 * a node killed at any moment and started again rejoins as the same
 * hospital, with its discriminators, Adam moments and privacy ledger. (Its
 * key is not kept: like Flower's own SuperNode, every start registers a
 * fresh one, so a restart need not wait for the SuperLink to see the old
 * key go offline.)
 *
 *   DIR/client-round-0003.safetensors   discriminators, both Adam states and a private node's DP key
 *                                       (fed/dp/secret.ts) after server round 3
 *   DIR/state.json                      the folder's manifest (store/manifest.ts): the client
 *                                       file's SHA-256, the node's settings, its ledger and rounds
 *   DIR/skipped.json                    subjects left out (--skip-bad-subjects), when any
 *
 * state.json is rewritten atomically and lists the client file (with its
 * SHA-256) it goes with; a client file is complete before state.json names
 * it and older ones are removed after, so whatever state.json names is
 * whole, and it is verified as a run's checkpoint is before it is read. The
 * ledger is written before a round trains, so a crash mid-round
 * over-counts the privacy spent, never under-counts it. The folder follows a
 * run folder's rules (store/): probed before any data is read (writable, not
 * under /proc or /sys, room for the client file), claimed and marked as
 * run folders are (never taken over when it holds anything but a node's
 * state), a killed writer's temporary files removed on start, every file
 * named in errors.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../../engine/index.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { claimFolder, probeOutputFolder, removeTempFiles, type FolderRule } from '../../store/folder.js';
import { changedKeys, readManifest, verifyFolder, writeManifest } from '../../store/manifest.js';
import type { Client } from '../../fed/client.js';
import type { LedgerEntry } from '../../fed/dp/ledger.js';
import type { TrainedRound } from '../../fed/flower/hospital.js';
import { readFileBytes } from '../train/checkpoint.js';

const STATE = 'state.json';
const SKIPPED = 'skipped.json';
/** A state folder as store/folder.ts claims it (and marks it, fedmed.json) when a node starts in it first. */
const stateFolder: FolderRule = { kind: 'node state', owned: [] };
const VERSION = 3; // 3: rounds record their epochs, a private client's file holds its DP key

/** What state.json keeps beside the manifest's files and settings. */
interface NodeRecord {
  ledger: LedgerEntry[];
  rounds: TrainedRound[];
}

export class NodeState {
  private constructor(
    readonly dir: string,
    private readonly settings: Record<string, unknown>,
    /** The current client file, null before the first round. */
    private client: string | null,
    private record: NodeRecord,
  ) {}

  get ledger(): readonly LedgerEntry[] {
    return this.record.ledger;
  }

  get rounds(): readonly TrainedRound[] {
    return this.record.rounds;
  }

  /**
   * Opens `dir` (created when missing) for a node with `settings`: a folder
   * that holds something else, or a node's state made with other settings,
   * is refused (the latter naming the keys that differ), and the files
   * state.json lists are verified. `bytesNeeded`: the size of a client
   * file, checked free.
   */
  static async open(dir: string, settings: Record<string, unknown>, bytesNeeded = 0): Promise<NodeState> {
    await probeOutputFolder(dir, bytesNeeded);
    await removeTempFiles(dir);
    const manifest = await readManifest(dir, { file: STATE });
    if (!manifest) {
      await claimFolder(dir, stateFolder); // a node never takes over a run folder or anything else
      const state = new NodeState(dir, settings, null, { ledger: [], rounds: [] });
      await state.write();
      return state;
    }
    const changed = changedKeys(manifest.settings, settings);
    if (changed.length) {
      throw new Error(`${dir}: this state folder belongs to a node with other settings (${changed.map((k) => `${k}: ${show(manifest.settings[k])} -> ${show(settings[k])}`).join(', ')}); start with those, or give a new --state folder`);
    }
    const { version, ledger, rounds } = manifest.extra;
    if (version !== VERSION || !Array.isArray(ledger) || !Array.isArray(rounds)) {
      throw new Error(`${path.join(dir, STATE)}: not a fedmed node state (version ${VERSION} with ledger and rounds); give a new --state folder`);
    }
    await verifyFolder(dir, { file: STATE });
    const client = Object.keys(manifest.files)[0] ?? null;
    return new NodeState(dir, settings, client, { ledger, rounds } as NodeRecord);
  }

  /** Restores the client's private state from the current client file (verified when the folder was opened). */
  async restore(client: Client): Promise<void> {
    if (!this.client) return;
    const file = path.join(this.dir, this.client);
    client.restorePrivateState(decodeSafetensors(await readFileBytes(file), file).tensors, file);
  }

  async saveLedger(entries: readonly LedgerEntry[]): Promise<void> {
    this.record = { ...this.record, ledger: [...entries] };
    await this.write();
  }

  /** After a round: the client's private state, then state.json naming it, then old client files go. */
  async saveRound(client: Client, round: TrainedRound): Promise<void> {
    const name = `client-round-${String(round.serverRound).padStart(4, '0')}.safetensors`;
    await writeFileAtomic(path.join(this.dir, name), encodeSafetensors(await client.privateState()));
    this.client = name;
    this.record = { ...this.record, rounds: [...this.record.rounds, round] };
    await this.write();
    for (const old of await readdir(this.dir)) {
      if (old.startsWith('client-round-') && old !== name) await rm(path.join(this.dir, old), { force: true });
    }
  }

  /** The subjects left out of the node's data, one line each, beside the state (as a run's skipped.json). */
  async saveSkipped(lines: readonly string[]): Promise<void> {
    if (lines.length) await writeFileAtomic(path.join(this.dir, SKIPPED), `${JSON.stringify(lines, null, 2)}\n`);
  }

  private async write(): Promise<void> {
    await writeManifest(this.dir, this.client ? [this.client] : [], this.settings, { file: STATE, extra: { version: VERSION, ...this.record } });
  }
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
