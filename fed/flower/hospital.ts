/**
 * A hospital as a Flower federation sees it: fedmed's Client answering
 * Flower's `train` and `evaluate` messages with records. A `train` message
 * carries the global generators (ArrayRecord `arrays`, one float32 .npy per
 * generator parameter, named as generatorParameters() names them) and a
 * ConfigRecord (`server-round`, optionally `local-epochs` and `lr`); the
 * reply carries the generators after the local epochs and a MetricRecord
 * whose `num-examples` is what Flower's FedAvg weights by. An `evaluate`
 * message scores the received generators on the held-out subjects.
 *
 * Whatever is wrong with a message (an unknown or missing array, a wrong
 * shape or dtype, a non-finite value, a spent privacy budget, a run's
 * server round begun before) is an error reply naming it, and the model is
 * left as it was. A round that fails while training (a non-finite loss)
 * restores the client's private state as it was before the round, so the
 * next round trains; the epochs it drew are never drawn again, and with DP
 * its charge stays in the ledger (the mechanism ran on the data; with
 * fresh streams, the retry composes with it as an independent run). A
 * message's `lr` holds for its round only. What never leaves the hospital
 * (data, discriminators, Adam moments, the privacy ledger) stays in the
 * Client; `beginRound` persists the round and its spending before it
 * trains and `saveRound` the private state before a reply goes out, so a
 * reply never reports spending that a crash could forget. A private
 * hospital's own failure is an error reply that says only what kind of
 * failure it was: its text (a non-finite loss names the batch's subjects,
 * planes and files) goes to the node's log, never to the server.
 */
import { sameShape, type optim, type StateEntry } from '../../engine/index.js';
import { NonFiniteLossError, type Client, type LocalTraining } from '../client.js';
import { epsilonWords, type LedgerEntry, type PrivacyLedger } from '../dp/ledger.js';
import { boundText } from '../dp/rounding.js';
import type { NamedTensors } from '../state.js';
import { fromNpy, toNpy } from './npy.js';
import { short } from './objects.js';
import { CLIENT_APP_RAISED_EXCEPTION, type ArrayRecord, type ConfigRecord, type FlowerMessage, type MetricRecord, type RecordDict, type Reply } from './records.js';

/** A message the hospital will not act on; its text goes back as the error reply's reason. */
export class RefusedMessage extends Error {
  override name = 'RefusedMessage';
}

export interface HospitalPrivacy {
  ledger: PrivacyLedger;
  noise: number;
  /** The hospital's budget: a round that would take epsilon past it is refused. */
  maxEpsilon: number | null;
}

/**
 * A `train` round the hospital began, recorded before it trains: whether it
 * then finishes, fails or is killed, its epochs' sampling and noise streams
 * are never drawn again and its privacy spending is never forgotten.
 */
export interface StartedRound {
  /** The hospital's own count of rounds begun, over every run (a private hospital's ledger rows are numbered by it, as rows must grow). */
  round: number;
  runId: string;
  serverRound: number;
  /** Its first local epoch, counted over the hospital's whole life (Client.trainRound's firstEpoch). */
  firstEpoch: number;
  /** The local epochs it trains. */
  epochs: number;
}

/** A finished `train` round, as the node's state folder records it. */
export interface TrainedRound extends StartedRound, LocalTraining {
  epsilon: number | null;
}

/** Scores of received generators on the held-out subjects, by metric name, and how many slices gave them. */
export interface HeldOutScores {
  examples: number;
  metrics: Record<string, number>;
}

export interface HospitalOptions {
  client: Client;
  /** Scores generators on the held-out subjects, leaving the client's own model untouched. */
  evaluate(generators: Map<string, StateEntry>): Promise<HeldOutScores>;
  /** Local epochs when a `train` message does not say. */
  localEpochs: number;
  /**
   * The rounds begun before (its state's), finished or not: a round trains
   * the epochs after all of theirs, numbered by the hospital and never by the
   * server, so that no two rounds share a sampling or noise stream; and a
   * (run, server round) among them is refused.
   */
  history: readonly StartedRound[];
  privacy: HospitalPrivacy | null;
  /**
   * A round is about to train: persist it and, with DP, the ledger that now
   * charges it (a crash or failure mid-round then over-counts, never
   * under-counts, and its epochs are never reused).
   */
  beginRound(round: StartedRound, ledger: readonly LedgerEntry[] | null): Promise<void>;
  /** After each training step of a round: steps done and to do, where, and the images the step took. */
  onStep?(done: number, total: number, where: string, images: number): void;
  /** A round finished: persist the client's private state and the round, before the reply leaves. */
  saveRound(round: TrainedRound): Promise<void>;
  log(line: string): void;
}

export class Hospital {
  private readonly history: StartedRound[];
  /** Both Adams with the lr the model was built with (the node's --lr): a message's `lr` holds for its round only. */
  private readonly optimizers: (readonly [optim.Adam, number])[];

  constructor(private readonly o: HospitalOptions) {
    this.history = [...o.history];
    const { model } = o.client;
    this.optimizers = [model.generatorOptimizer, model.discriminatorOptimizer].map((adam) => [adam, adam.lr] as const);
  }

  /**
   * The reply to one message; never throws for a bad message. A failure of
   * the hospital itself is thrown without DP (the transport sends its text),
   * and with DP is an error reply naming only its kind (privateFailure).
   */
  async handle(message: FlowerMessage): Promise<Reply> {
    const { messageType, messageId } = message.metadata;
    const kind = messageType.split('.')[0];
    try {
      if (!message.content) throw new RefusedMessage(`a ${messageType} message without content`);
      if (kind === 'train') return { content: await this.train(message) };
      if (kind === 'evaluate') return { content: await this.evaluate(message.content) };
      throw new RefusedMessage(`message type '${messageType}' is not one a fedmed node handles (train, evaluate)`);
    } catch (e) {
      if (e instanceof RefusedMessage) {
        this.o.log(`refused ${messageType} message ${short(messageId)}: ${e.message}`);
        return { error: { code: CLIENT_APP_RAISED_EXCEPTION, reason: e.message } };
      }
      if (!this.o.privacy) throw e;
      this.o.log(`${messageType} message ${short(messageId)} failed: ${(e as Error).message}`);
      return { error: { code: CLIENT_APP_RAISED_EXCEPTION, reason: privateFailure(e) } };
    }
  }

  private async train(message: FlowerMessage): Promise<RecordDict> {
    const content = message.content!;
    const { client } = this.o;
    const config = configOf(content);
    const serverRound = positiveInt(config, 'server-round', null);
    const localEpochs = positiveInt(config, 'local-epochs', this.o.localEpochs);
    // A round that never ends cannot be refused later; federated rounds are a few epochs (the paper's: 3).
    if (localEpochs > MAX_LOCAL_EPOCHS) throw new RefusedMessage(`config 'local-epochs' ${localEpochs} is more than a round trains here (at most ${MAX_LOCAL_EPOCHS})`);
    const lr = config.get('lr');
    if (lr !== undefined && !(typeof lr === 'number' && Number.isFinite(lr) && lr > 0)) throw new RefusedMessage(`config 'lr' must be a finite positive float, got ${typeof lr} ${String(lr)}`);
    const runId = String(message.metadata.runId);
    const repeated = this.history.find((r) => r.runId === runId && r.serverRound === serverRound);
    if (repeated) throw new RefusedMessage(`run ${runId} server round ${serverRound} was begun here before (this node's round ${repeated.round}); a server round is trained once`);
    const global = globalGenerators(arraysOf(content), client.model.generatorParameters());
    const last = this.history.at(-1);
    const round: StartedRound = { round: (last?.round ?? 0) + 1, runId, serverRound, firstEpoch: last ? last.firstEpoch + last.epochs : 0, epochs: localEpochs };
    // The epochs key the sampling and noise streams modulo 2^32 (data/seed.ts): past it they would be drawn again.
    if (round.firstEpoch + round.epochs > EPOCH_KEYS) throw new RefusedMessage(`this node has trained ${round.firstEpoch} epochs; ${round.epochs} more would pass 2^32, where its sampling and noise streams repeat; give the node a new --state folder`);
    const steps = client.loader.length * localEpochs;
    const epsilon = await this.begin(round, steps);
    for (const [adam, nodeLr] of this.optimizers) adam.lr = typeof lr === 'number' ? lr : nodeLr;
    // A failed round (a non-finite loss) must not leave its discriminators and Adam moments behind for the next one.
    const before = await client.privateState();
    const started = performance.now();
    let local: LocalTraining;
    try {
      client.receive(global);
      this.o.log(`round ${serverRound}: training ${localEpochs} local epoch${localEpochs === 1 ? '' : 's'} on ${client.samples} items`);
      local = await client.trainRound(round.firstEpoch, localEpochs, {
        onStep: (s, e) => this.o.onStep?.(e * s.steps + s.step, steps, `round ${serverRound} epoch ${e + 1}/${localEpochs} step ${s.step}/${s.steps}`, s.images),
      });
      await this.o.saveRound({ ...round, epsilon, ...local });
    } catch (e) {
      client.restorePrivateState(before, `client ${client.name}'s state before round ${serverRound}`);
      throw e;
    }
    const finite = Object.entries(local.losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    const losses = local.nonFiniteSteps ? `${finite}${finite ? '; ' : ''}${local.nonFiniteSteps} step(s) with a non-finite loss, their units left out of the clipped sums` : finite;
    const caveat = this.o.privacy?.ledger.caveat;
    // Per privacy unit, and for a slice a whole patient's figure, as fedmed train says it.
    this.o.log(`round ${serverRound}: ${local.steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s; ${losses}${this.o.privacy && epsilon !== null ? `; ${epsilonWords(this.o.privacy.ledger)}` : ''}`);
    const metrics: MetricRecord = new Map<string, number | bigint>([['num-examples', BigInt(client.samples)], ['steps', BigInt(local.steps)]]);
    // The losses are not noised: a private node keeps them (its log), as they would tell the server more than epsilon allows.
    if (!this.o.privacy) for (const [name, value] of Object.entries(local.losses)) metrics.set(`loss-${name}`, value);
    if (epsilon !== null && !caveat) metrics.set('epsilon', epsilon); // none where it is no guarantee
    return new Map([
      ['arrays', { kind: 'array', record: toArrayRecord(await client.upload().then((u) => u.state)) }],
      ['metrics', { kind: 'metric', record: metrics }],
    ]);
  }

  /**
   * Records the round as begun and, with DP, its steps in the ledger, then
   * persists both before training; or refuses the round if it would take
   * epsilon past the budget. Returns the epsilon spent by the end of the
   * round (null without DP). The ledger spans runs: it never restarts.
   */
  private async begin(round: StartedRound, steps: number): Promise<number | null> {
    const privacy = this.o.privacy;
    let epsilon: number | null = null;
    if (privacy) {
      const { client } = this.o;
      const pending = privacy.ledger.preview({ client: client.name, round: round.round, steps, q: client.samplingRate, noise: privacy.noise });
      epsilon = pending.entry.epsilon;
      if (privacy.maxEpsilon !== null && epsilon > privacy.maxEpsilon) {
        const spent = privacy.ledger.entries.at(-1)?.epsilon ?? 0;
        throw new RefusedMessage(`round ${round.serverRound} would spend epsilon ${boundText(epsilon, { decimals: 3 })} per ${privacy.ledger.unit} (delta ${privacy.ledger.delta}), past this hospital's --max-epsilon ${privacy.maxEpsilon}; it has spent ${boundText(spent, { decimals: 3 })}`);
      }
      pending.commit();
    }
    this.history.push(round); // before the write: a failed write still never reuses the round's number or epochs
    await this.o.beginRound(round, privacy ? privacy.ledger.entries : null);
    return epsilon;
  }

  private async evaluate(content: RecordDict): Promise<RecordDict> {
    const params = this.o.client.model.generatorParameters();
    const { examples, metrics: scores } = await this.o.evaluate(globalGenerators(arraysOf(content), params));
    const metrics: MetricRecord = new Map<string, number | bigint>([['num-examples', BigInt(examples)]]);
    for (const [name, value] of Object.entries(scores)) metrics.set(name, value);
    return new Map([['metrics', { kind: 'metric', record: metrics }]]);
  }
}

/**
 * What a private hospital tells the server of its own failure: the kind,
 * never the text, which may hold data-derived detail (subjects, planes, file
 * paths) that no DP guarantee covers.
 */
function privateFailure(e: unknown): string {
  const what = e instanceof NonFiniteLossError ? 'training failed: a loss was not finite' : 'the node failed while handling the message';
  return `${what}; details are in the node's log`;
}

/** The message's one ConfigRecord (an empty one when it has none). */
function configOf(content: RecordDict): ConfigRecord {
  const configs = [...content.values()].filter((r) => r.kind === 'config');
  if (configs.length > 1) throw new RefusedMessage(`${configs.length} ConfigRecords where one is expected`);
  return configs[0]?.kind === 'config' ? configs[0].record : new Map();
}

/** The message's one ArrayRecord. */
function arraysOf(content: RecordDict): ArrayRecord {
  const records = [...content.entries()].filter(([, r]) => r.kind === 'array');
  if (records.length !== 1) throw new RefusedMessage(`${records.length} ArrayRecords where one (the global generators, 'arrays') is expected`);
  const record = records[0]![1];
  return record.kind === 'array' ? record.record : new Map();
}

/** The most local epochs a train message may ask for. */
const MAX_LOCAL_EPOCHS = 1000;
/** Epoch numbers that key distinct streams (a 32-bit word of the seed mix). */
const EPOCH_KEYS = 2 ** 32;

/** A whole number >= 1 from the config, or `fallback` when absent (null: required). */
function positiveInt(config: ConfigRecord, key: string, fallback: number | null): number {
  const value = config.get(key);
  if (value === undefined && fallback !== null) return fallback;
  if (typeof value !== 'bigint' || value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RefusedMessage(`config '${key}' must be an int of at least 1, got ${value === undefined ? 'nothing' : `${typeof value} ${String(value)}`}`);
  }
  return Number(value);
}

/**
 * The generators a message brings, checked against the model's parameters:
 * every name known and present, float32, the parameter's shape, finite.
 */
export function globalGenerators(arrays: ArrayRecord, params: NamedTensors): Map<string, StateEntry> {
  const expected = new Map(params.map(([name, p]) => [name, p.shape]));
  for (const name of arrays.keys()) {
    if (!expected.has(name)) throw new RefusedMessage(`array '${name}' is not a generator parameter of this model`);
  }
  const out = new Map<string, StateEntry>();
  for (const [name, shape] of expected) {
    const array = arrays.get(name);
    if (!array) throw new RefusedMessage(`array '${name}' is missing (${arrays.size} arrays sent, ${expected.size} expected)`);
    let decoded: ReturnType<typeof fromNpy>;
    try {
      decoded = fromNpy(array.data);
    } catch (e) {
      throw new RefusedMessage(`array '${name}': ${(e as Error).message}`);
    }
    if (array.dtype !== 'float32' || decoded.dtype !== 'float32') throw new RefusedMessage(`array '${name}' is ${array.dtype === 'float32' ? decoded.dtype : array.dtype}, expected float32`);
    if (!sameShape(decoded.shape, shape) || !sameShape(array.shape, shape)) {
      throw new RefusedMessage(`array '${name}' has shape [${decoded.shape}], the model's parameter is [${shape}]`);
    }
    const bad = decoded.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RefusedMessage(`array '${name}' holds ${decoded.values[bad]} at flat index ${bad}`);
    out.set(name, { shape: [...shape], values: decoded.values });
  }
  return out;
}

/** Named float32 tensors as Flower Arrays (.npy bytes), in the model's parameter order. */
export function toArrayRecord(state: ReadonlyMap<string, StateEntry>): ArrayRecord {
  const record: ArrayRecord = new Map();
  for (const [name, { shape, values }] of state) record.set(name, { dtype: 'float32', shape: [...shape], data: toNpy(values, shape) });
  return record;
}
