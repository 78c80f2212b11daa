/**
 * The privacy ledger of a federated run: per client and per round, the DP-SGD
 * steps taken and the epsilon spent so far. The trainer records each client's
 * round as it ends; the run folder gets the rows as JSON or CSV. A client's
 * rounds compose (RDP adds order by order), so a change of noise or sampling
 * rate between rounds is accounted for exactly. Every row names the privacy
 * unit; a slice-level row also gives the bound for a whole subject (as many
 * slices as the most one subject holds at that client: its round's
 * `subjectShare`, else the ledger's), named by how it was found: under
 * Poisson sampling by the subject accountant (fed/dp/group_accountant.ts,
 * the subject's slices accounted together, at the run's delta), else, or
 * where that gives no bound, by group privacy. The subject accountant is
 * tight for the group (its dominating pair is), so group privacy, looser at
 * any common delta, is only the fallback. Under Poisson sampling a row's
 * epsilon is the tightest sound bound of two accountants, RDP and PRV (its
 * upper end; fed/dp/prv.ts), and names
 * the one that gave it; GDP is an approximation, never reported as the
 * guarantee. Given `noisedParameters`, every figure pays first for the
 * noise's cut tail (fed/dp/noise_tail.ts) out of delta: the unit's epsilon is
 * the accountants' at what delta the tail leaves, the subject accountant's
 * likewise for a subject's slices, and where their tail takes all of delta,
 * the subject figure is group privacy's (sound for any noise, as it builds on
 * the unit's guarantee). A ledger given a `caveat` (GS-WGAN's: fed/dp/gswgan.ts) computes
 * the same numbers but marks them as no guarantee, in every output. Pure
 * math, no file system.
 */
import type { PrivacyUnit } from '../../data/index.js';
import {
  AccountantDeclined,
  checkOptions,
  checkRun,
  composedEpsilon,
  defaultConversion,
  PrivacyParameterError,
  type AccountingOptions,
  type GaussianSteps,
  type Sampling,
} from './accountant.js';
import type { Conversion } from './conversion.js';
import { checkGroup, GroupAccountant } from './group_accountant.js';
import { payNoiseTail } from './noise_tail.js';
import { prvEpsilon } from './prv.js';
import { boundText } from './rounding.js';

/** The accountants whose bounds are sound: the ledger takes the smaller. */
export type SoundAccountant = 'rdp' | 'prv';

/**
 * How a row's subject figure was found: it is the unit's own (the unit is a
 * subject, or no subject holds more than one slice), the subject accountant
 * composed the subject's slices together, or group privacy scaled the slice figure.
 */
export type SubjectMethod = 'privacy unit' | 'subject accountant' | 'group privacy';

/** One client's round as the trainer reports it. */
export interface RoundSteps {
  client: string;
  round: number;
  /** DP-SGD steps this round (0 when the client sat the round out). */
  steps: number;
  q: number;
  noise: number;
  /** Slice unit: the most items one of this client's subjects appears in (default: the ledger's subjectShare). */
  subjectShare?: number;
}

/** A ledger row: the round, and the client's totals after it. */
export interface LedgerEntry extends RoundSteps {
  totalSteps: number;
  /** Per privacy unit (the ledger's `unit`). */
  epsilon: number;
  /** The Renyi order of RDP's bound (NaN before any step). */
  order: number;
  /** Which accountant gave `epsilon`, the smaller sound bound. */
  accountant: SoundAccountant;
  /** The group size behind the subject figure (1 for the subject unit). */
  subjectShare: number;
  /** The (epsilon, delta) this gives a whole subject, and how it was found. */
  subjectEpsilon: number;
  subjectDelta: number;
  subjectMethod: SubjectMethod;
}

export interface LedgerOptions extends AccountingOptions {
  /** How the loader drew each step's batch (fed/client.ts dpSampling); required, as a wrong one misstates the run. */
  sampling: Sampling;
  /** Default 'slice'. */
  unit?: PrivacyUnit;
  /** Slice unit: the most items one subject's images appear in (data/loader.ts largestSubjectShare), for rounds that do not give their client's own; default 1. */
  subjectShare?: number;
  /** Why the epsilon is not a guarantee for what training releases, when it is not (GS-WGAN); default none. */
  caveat?: string;
}

export interface LedgerJson {
  delta: number;
  unit: PrivacyUnit;
  /** The group size for rounds that give none: the largest any client holds (1 for the subject unit); each row has its own. */
  subjectShare: number;
  /** How each step's batch was drawn, which the accountant assumes. */
  sampling: Sampling;
  /** The accountants tried: RDP (converted as `conversion` says), and PRV under Poisson sampling. */
  accountants: SoundAccountant[];
  conversion: Conversion;
  /** The coordinates the noise covers, whose cut tail the figures pay for (null: exact Gaussian noise assumed). */
  noisedParameters: number | null;
  /** False when the numbers are no guarantee; `caveat` says why. */
  guarantee: boolean;
  caveat: string | null;
  entries: LedgerEntry[];
}

const CSV_COLUMNS = ['client', 'round', 'unit', 'steps', 'total_steps', 'q', 'noise', 'delta', 'epsilon', 'guarantee', 'accountant', 'order', 'subject_share', 'subject_epsilon', 'subject_delta', 'subject_method'] as const;

export class PrivacyLedger {
  readonly delta: number;
  readonly sampling: Sampling;
  readonly conversion: Conversion;
  readonly unit: PrivacyUnit;
  readonly subjectShare: number;
  readonly caveat: string | null;
  private readonly options: AccountingOptions;
  /** The subject accountants by group size (slice unit, Poisson sampling), made as rows need them. */
  private readonly subjects = new Map<number, GroupAccountant>();
  private readonly rows: LedgerEntry[] = [];
  /** Each client's history, runs of equal (q, noise) merged. */
  private readonly history = new Map<string, GaussianSteps[]>();

  constructor(options: LedgerOptions) {
    this.delta = options.delta;
    this.unit = options.unit ?? 'slice';
    this.subjectShare = this.unit === 'subject' ? 1 : checkGroup(options.subjectShare ?? 1, 'subjectShare');
    this.caveat = options.caveat ?? null;
    this.sampling = options.sampling;
    this.conversion = options.conversion ?? defaultConversion(this.sampling);
    this.options = { ...options, sampling: this.sampling, conversion: this.conversion };
    checkOptions(this.options); // now, not at the first round
  }

  /** Adds a client's round and returns its row, with the epsilon spent by the end of it. */
  record(round: RoundSteps): LedgerEntry {
    return this.preview(round).commit();
  }

  /**
   * The row `record(round)` would add, recording nothing until `commit()` (a
   * budget check before a round, which then records without accounting twice).
   */
  preview(round: RoundSteps): { entry: LedgerEntry; commit(): LedgerEntry } {
    const { entry, runs } = this.account(round);
    const before = this.latest(round.client);
    return {
      entry,
      commit: () => {
        if (this.latest(round.client) !== before) throw new PrivacyParameterError('round', `client ${round.client}'s ledger changed since this preview`);
        this.history.set(round.client, runs);
        this.rows.push(entry);
        return entry;
      },
    };
  }

  private account(round: RoundSteps): { entry: LedgerEntry; runs: GaussianSteps[] } {
    checkRun(round, 0);
    const last = this.latest(round.client);
    if (last && round.round <= last.round) {
      const what = `client ${round.client} had round ${last.round}, then ${round.round}`;
      throw new PrivacyParameterError('round', `must grow for each client: ${what}`);
    }
    const { client, steps, q, noise } = round;
    const subjectShare = this.unit === 'subject' ? 1 : checkGroup(round.subjectShare ?? this.subjectShare, 'subjectShare');
    const runs = [...(this.history.get(client) ?? [])];
    if (steps > 0) {
      const tail = runs.at(-1);
      if (tail && tail.q === q && tail.noise === noise) runs[runs.length - 1] = { ...tail, steps: tail.steps + steps };
      else runs.push({ q, noise, steps });
    }
    const spent = runs.length ? tightestEpsilon(runs, this.options) : { epsilon: 0, order: NaN, accountant: 'rdp' as const };
    const entry: LedgerEntry = {
      client, round: round.round, steps, q, noise, totalSteps: (last?.totalSteps ?? 0) + steps, ...spent,
      subjectShare, ...this.subjectBound(runs, spent.epsilon, subjectShare),
    };
    return { entry, runs };
  }

  /** A whole subject's (epsilon, delta) after the runs, and how it was found (see the header). */
  private subjectBound(runs: readonly GaussianSteps[], epsilon: number, share: number): Pick<LedgerEntry, 'subjectEpsilon' | 'subjectDelta' | 'subjectMethod'> {
    if (share === 1) return { subjectEpsilon: epsilon, subjectDelta: this.delta, subjectMethod: 'privacy unit' };
    // The subject's slices may shift the noisy sum past the noise's cut tail: the accountant gets what delta the tail leaves, if any.
    const left = this.sampling === 'poisson' ? payNoiseTail(runs, this.options, share).delta : null;
    const direct = left !== null ? this.subjectAccountant(share).epsilon(runs, left).upper : Infinity;
    if (direct < Infinity) return { subjectEpsilon: direct, subjectDelta: this.delta, subjectMethod: 'subject accountant' };
    const group = groupPrivacy(epsilon, this.delta, share);
    return { subjectEpsilon: group.epsilon, subjectDelta: group.delta, subjectMethod: 'group privacy' };
  }

  private subjectAccountant(share: number): GroupAccountant {
    let accountant = this.subjects.get(share);
    if (!accountant) this.subjects.set(share, (accountant = new GroupAccountant(share)));
    return accountant;
  }

  get accountants(): SoundAccountant[] {
    return soundAccountants(this.sampling);
  }

  /** Every row, in the order recorded. */
  get entries(): readonly LedgerEntry[] {
    return this.rows;
  }

  /** The client's last row, or undefined before its first round. */
  latest(client: string): LedgerEntry | undefined {
    for (let i = this.rows.length - 1; i >= 0; i--) if (this.rows[i]!.client === client) return this.rows[i];
    return undefined;
  }

  toJSON(): LedgerJson {
    const { delta, unit, subjectShare, sampling, conversion, caveat } = this;
    const noisedParameters = this.options.noisedParameters ?? null;
    return { delta, unit, subjectShare, sampling, accountants: this.accountants, conversion, noisedParameters, guarantee: caveat === null, caveat, entries: this.rows.map((row) => ({ ...row })) };
  }

  /** One header line, then one line per row. */
  toCsv(): string {
    const lines = this.rows.map((r) => [r.client, r.round, this.unit, r.steps, r.totalSteps, r.q, r.noise, this.delta, r.epsilon, this.caveat === null ? 'yes' : 'no', r.accountant, r.order, r.subjectShare, r.subjectEpsilon, r.subjectDelta, r.subjectMethod]);
    return [CSV_COLUMNS.join(','), ...lines.map((fields) => fields.map(csvField).join(','))].join('\n') + '\n';
  }
}

/** The sound accountants tried for a sampling: PRV analyses Poisson sampling only. */
export function soundAccountants(sampling: Sampling): SoundAccountant[] {
  return sampling === 'poisson' ? ['rdp', 'prv'] : ['rdp'];
}

/** The same in words, as outputs name them: "the tighter of RDP and PRV", or "RDP" alone. */
export function soundAccountantsWords(sampling: Sampling): string {
  const names = soundAccountants(sampling).map((a) => a.toUpperCase());
  return names.length === 1 ? names[0]! : `the tighter of ${names.join(' and ')}`;
}

/**
 * The smaller of RDP's epsilon and, under Poisson sampling, PRV's upper
 * bound (both sound), naming which; `order` is always RDP's. PRV declining
 * (AccountantDeclined: a numerical limit) leaves RDP's bound; any other
 * error is a bug and propagates. `only` asks for one accountant's figure.
 */
export function tightestEpsilon(runs: readonly GaussianSteps[], given: AccountingOptions, only?: SoundAccountant): { epsilon: number; order: number; accountant: SoundAccountant } {
  const { delta } = payNoiseTail(runs, given, 1); // the accountants get what the noise's cut tail leaves of delta
  if (delta === null) return { epsilon: Infinity, order: NaN, accountant: 'rdp' };
  const options = { ...given, delta };
  const rdp = { ...composedEpsilon(runs, options), accountant: 'rdp' as const };
  if (only === 'rdp' || !soundAccountants(options.sampling ?? 'poisson').includes('prv')) return rdp;
  let prv: number;
  try {
    prv = prvEpsilon(runs, { delta: options.delta }).upper;
  } catch (e) {
    if (e instanceof AccountantDeclined && only === undefined) return rdp;
    throw e;
  }
  return only === 'prv' || prv < rdp.epsilon ? { epsilon: prv, order: rdp.order, accountant: 'prv' } : rdp;
}

/**
 * Group privacy: an (epsilon, delta)-DP mechanism is (k epsilon,
 * k e^((k-1) epsilon) delta)-DP for groups of k units (Dwork and Roth 2014,
 * Theorem 2.2; with delta as Vadhan 2017, The Complexity of Differential
 * Privacy, group privacy for approximate DP). A delta of 1
 * or more means no guarantee: it is reported as 1.
 */
export function groupPrivacy(epsilon: number, delta: number, k: number): { epsilon: number; delta: number } {
  if (k === 1) return { epsilon, delta };
  return { epsilon: k * epsilon, delta: Math.min(1, k * Math.exp((k - 1) * epsilon) * delta) };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The largest epsilon over clients (a node: its own), per privacy unit, and for a slice-level run what it means for a whole subject. */
export function epsilonWords(ledger: PrivacyLedger): string {
  const worst = ledger.entries.reduce<LedgerEntry | null>((w, e) => (w && w.epsilon >= e.epsilon ? w : e), null);
  const epsilon = worst?.epsilon ?? 0;
  const perUnit = `epsilon ${boundText(epsilon, { decimals: 2 })} per ${ledger.unit} at delta ${ledger.delta}${worst ? ` by ${worst.accountant.toUpperCase()}` : ''}`;
  const caveat = ledger.caveat ? `; ${ledger.caveat}` : '';
  if (ledger.unit === 'subject') return perUnit + caveat;
  return `${perUnit} (${subjectWords(ledger)})${caveat}`;
}

/** A whole subject's figure, the largest over clients, and how it was found (fed/dp/ledger.ts SubjectMethod), in plain words. */
function subjectWords(ledger: PrivacyLedger): string {
  const worst = ledger.entries.reduce<LedgerEntry | null>((w, e) => (w && w.subjectEpsilon >= e.subjectEpsilon ? w : e), null);
  const delta = worst?.subjectDelta === ledger.delta ? String(ledger.delta) : (worst && boundText(worst.subjectDelta, { significant: 2 }));
  const figure = worst && worst.subjectDelta < 1 ? `epsilon ${boundText(worst.subjectEpsilon, { decimals: 2 })} at delta ${delta}` : 'no meaningful bound';
  const how = worst?.subjectMethod === 'subject accountant' ? 'all their slices accounted together' : worst?.subjectMethod === 'group privacy' ? 'by group privacy, the slice figure scaled up' : 'as for one slice';
  return `a whole subject, up to ${worst?.subjectShare ?? ledger.subjectShare} slices, ${how}: ${figure}`;
}
