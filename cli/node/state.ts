/**
 * A Flower node's state folder: what never leaves the hospital, kept so that
 * a node killed at any moment and started again rejoins as the same
 * hospital, with its discriminators, Adam moments and privacy ledger. (Its
 * key is not kept: like Flower's own SuperNode, every start registers a
 * fresh one, so a restart need not wait for the SuperLink to see the old
 * key go offline.)
 *
 *   DIR/client-0003.safetensors   discriminators, both Adam states and a private node's DP key
 *                                 (fed/dp/secret.ts) after the node's round 3 (its own count, over
 *                                 every run: a name never used twice)
 *   DIR/state.json                the folder's manifest (store/manifest.ts): the client file's
 *                                 SHA-256, the node's settings, its ledger, the rounds begun, the
 *                                 rounds trained and the subjects it holds out
 *   DIR/skipped.json              subjects left out (--skip-bad-subjects), when any
 *
 * state.json is rewritten atomically and lists the client file (with its
 * SHA-256) it goes with; a client file is complete before state.json names
 * it, is never written over (each round's has a new name) and older ones
 * are removed after, so whatever state.json names is whole at any kill, and
 * it is verified as a run's checkpoint is before it is read. A round is
 * recorded as begun, with the ledger that charges it, before it trains, so
 * a crash or failure mid-round over-counts the privacy spent, never
 * under-counts it, and its epochs' random streams are never drawn again.
 * One process at a time holds the folder (DIR/.lock, store/lock.ts: a
 * second node on it is refused naming the first's pid; a killed one's lock
 * is taken over). The folder follows a run folder's rules (store/): probed
 * before any data is read (writable, not under /proc or /sys, room for the
 * client file), claimed and marked as run folders are (never taken over
 * when it holds anything but a node's state), a killed writer's temporary
 * files removed on start, every file named in errors.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../../engine/index.js';
import { readFileOrExplain, writeFileAtomic } from '../../store/atomic.js';
import { claimFolder, FolderTakenError, probeOutputFolder, removeTempFiles, type FolderRule } from '../../store/folder.js';
import { lockFolder } from '../../store/lock.js';
import { changedKeys, readManifest, verifyFolder, writeManifest } from '../../store/manifest.js';
import type { Client } from '../../fed/client.js';
import type { LedgerEntry } from '../../fed/dp/ledger.js';
import type { StartedRound, TrainedRound } from '../../fed/flower/hospital.js';

const STATE = 'state.json';
/** Client files, current (client-0004.safetensors) and version 3's (client-round-0003.safetensors). */
const CLIENT_PREFIX = 'client-';
const SKIPPED = 'skipped.json';
/** A state folder as store/folder.ts claims it (and marks it, fedmed.json) when a node starts in it first. */
const stateFolder: FolderRule = { kind: 'node state', owned: [] };
/** 3: rounds record their epochs, a private client's file holds its DP key; 4: rounds begun are recorded, client files are named by the node's round. */
const VERSION = 4;

/** What state.json keeps beside the manifest's files and settings. */
interface NodeRecord {
  /** A private node's ledger, one row per round begun, over every run. */
  ledger: LedgerEntry[];
  begun: StartedRound[];
  rounds: TrainedRound[];
  /** The held-out subjects drawn at the first start; absent in folders written before they were recorded. */
  testSubjects?: string[];
}

export class NodeState {
  private constructor(
    readonly dir: string,
    private readonly settings: Record<string, unknown>,
    /** The current client file, null before the first round. */
    private client: string | null,
    private record: NodeRecord,
    private readonly release: () => void,
  ) {}

  get ledger(): readonly LedgerEntry[] {
    return this.record.ledger;
  }

  /** Every round begun, finished or not. */
  get begun(): readonly StartedRound[] {
    return this.record.begun;
  }

  get rounds(): readonly TrainedRound[] {
    return this.record.rounds;
  }

  /** The held-out subjects recorded at the first start (undefined in an older folder that kept none). */
  get testSubjects(): readonly string[] | undefined {
    return this.record.testSubjects;
  }

  /**
   * Opens `dir` (created when missing) for a node with `settings`, holding
   * its lock (store/lock.ts) until close() or exit: a folder another live
   * process holds, one that holds something else, or a node's state made
   * with other settings, is refused (the latter naming the keys that
   * differ), and the files state.json lists are verified. `bytesNeeded`:
   * the size of a client file, checked free.
   */
  static async open(dir: string, settings: Record<string, unknown>, bytesNeeded = 0, what?: string): Promise<NodeState> {
    await probeOutputFolder(dir, bytesNeeded, what);
    const release = await lockFolder(dir, stateFolder.kind);
    try {
      return await NodeState.read(dir, settings, release);
    } catch (e) {
      release();
      throw e;
    }
  }

  private static async read(dir: string, settings: Record<string, unknown>, release: () => void): Promise<NodeState> {
    await removeTempFiles(dir);
    const manifest = await readManifest(dir, { file: STATE });
    if (!manifest) {
      await claimFolder(dir, stateFolder); // a node never takes over a run folder or anything else
      return NodeState.fresh(dir, settings, release);
    }
    const changed = changedKeys(manifest.settings, settings);
    const { begun: begunBefore, ledger: spent } = manifest.extra;
    // A start that failed before any round began (a typo in --data, say) kept nothing: the folder takes the new settings.
    if (changed.length && Array.isArray(begunBefore) && begunBefore.length === 0 && Array.isArray(spent) && spent.length === 0 && Object.keys(manifest.files).length === 0) {
      return NodeState.fresh(dir, settings, release);
    }
    if (changed.length) {
      // Taken, as a run folder with other settings is: a usage error (exit 2).
      throw new FolderTakenError(`${dir}: this state folder belongs to a node with other settings (${changed.map((k) => `${k}: ${show(manifest.settings[k])} -> ${show(settings[k])}`).join(', ')}); start with those, or give a new --state folder`, stateFolder.kind);
    }
    const { version, ledger, begun, rounds, testSubjects } = manifest.extra;
    const known = Array.isArray(ledger) && Array.isArray(rounds) && (version === VERSION ? Array.isArray(begun) : version === 3) && (testSubjects === undefined || isStringList(testSubjects));
    if (!known) {
      throw new Error(`${path.join(dir, STATE)}: not a fedmed node state (version ${VERSION} or 3, with ledger and rounds); give a new --state folder`);
    }
    await verifyFolder(dir, { file: STATE });
    const client = Object.keys(manifest.files)[0] ?? null;
    const record = version === VERSION ? { ledger, begun, rounds, testSubjects } as NodeRecord : fromVersion3(ledger as LedgerEntry[], rounds as Version3Round[]);
    return new NodeState(dir, settings, client, record, release);
  }

  /** A state with nothing begun, trained or spent, for `settings`, written. */
  private static async fresh(dir: string, settings: Record<string, unknown>, release: () => void): Promise<NodeState> {
    const state = new NodeState(dir, settings, null, { ledger: [], begun: [], rounds: [] }, release);
    await state.write(null, state.record);
    return state;
  }

  /** Releases the folder's lock (the process's exit does too). */
  close(): void {
    this.release();
  }

  /** Restores the client's private state from the current client file (verified when the folder was opened). */
  async restore(client: Client): Promise<void> {
    if (!this.client) return;
    const file = path.join(this.dir, this.client);
    client.restorePrivateState(decodeSafetensors(await readFileOrExplain(file), file).tensors, file);
  }

  /** Before a round trains: the round, and a private node's ledger that charges it. */
  async beginRound(round: StartedRound, ledger: readonly LedgerEntry[] | null): Promise<void> {
    await this.write(this.client, { ...this.record, begun: [...this.record.begun, round], ledger: ledger ? [...ledger] : this.record.ledger });
  }

  /**
   * After a round: the client's private state under a new name, then
   * state.json naming it, then old client files go. A failed write changes
   * nothing here, so the round the hospital rolls back is rolled back in
   * the state too; once state.json names the new file, an old file that
   * cannot be removed is only space (the next save tries again).
   */
  async saveRound(client: Client, round: TrainedRound): Promise<void> {
    const name = `${CLIENT_PREFIX}${String(round.round).padStart(4, '0')}.safetensors`;
    await writeFileAtomic(path.join(this.dir, name), encodeSafetensors(await client.privateState()));
    await this.write(name, { ...this.record, rounds: [...this.record.rounds, round] });
    for (const old of await readdir(this.dir)) {
      if (old.startsWith(CLIENT_PREFIX) && old !== name) await rm(path.join(this.dir, old), { force: true }).catch(() => {});
    }
  }

  /**
   * Records the subjects the node holds out, once (the first start, or the
   * first of an older folder that kept none): later starts check their split
   * against it.
   */
  async recordTestSubjects(ids: readonly string[]): Promise<void> {
    if (this.record.testSubjects) return;
    await this.write(this.client, { ...this.record, testSubjects: [...ids] });
  }

  /** The subjects left out of the node's data, one line each, beside the state (as a run's skipped.json). */
  async saveSkipped(lines: readonly string[]): Promise<void> {
    if (lines.length) await writeFileAtomic(path.join(this.dir, SKIPPED), `${JSON.stringify(lines, null, 2)}\n`);
  }

  /** Writes state.json for `client` and `record`, and only then holds them: memory never runs ahead of the disk. */
  private async write(client: string | null, record: NodeRecord): Promise<void> {
    await writeManifest(this.dir, client ? [client] : [], this.settings, { file: STATE, extra: { version: VERSION, ...record } });
    this.client = client;
    this.record = record;
  }
}

/** A round as version 3 recorded it: numbered by the server only, its first epoch not kept. */
type Version3Round = Omit<TrainedRound, 'round' | 'firstEpoch'>;

/**
 * Version 3's record, with the rounds begun that it did not keep rebuilt:
 * a private node's ledger has a row per round begun (numbered by server
 * round, refused when not growing, so one run's); without DP, only the
 * rounds trained are known. A round begun but not trained (killed or
 * failed) kept no epoch count: its steps stand for it, an upper bound. The
 * first epochs so rebuilt are a bound, not what version 3 drew (it trained
 * the round after a killed one on the killed one's epochs): every epoch it
 * drew lies below the next round's, which is what keeps streams unshared.
 */
function fromVersion3(ledger: LedgerEntry[], trained: Version3Round[]): NodeRecord {
  const begun: StartedRound[] = [];
  const rounds: TrainedRound[] = [];
  const next = () => (begun.length ? begun.at(-1)!.firstEpoch + begun.at(-1)!.epochs : 0);
  const starts = ledger.length
    ? ledger.map((row) => ({ number: row.round, serverRound: row.round, done: trained.find((r) => r.serverRound === row.round), steps: row.steps }))
    : trained.map((done, i) => ({ number: i + 1, serverRound: done.serverRound, done, steps: done.steps }));
  for (const { number, serverRound, done, steps } of starts) {
    const start = { round: number, runId: done?.runId ?? '', serverRound, firstEpoch: next(), epochs: done?.epochs ?? steps };
    begun.push(start);
    if (done) rounds.push({ ...done, ...start });
  }
  return { ledger, begun, rounds };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
