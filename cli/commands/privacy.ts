/**
 * fedmed privacy: the (epsilon, delta) that DP-SGD's subsampled Gaussian steps
 * spend, from the noise multiplier, sampling rate and step count, by the
 * accountant asked for: RDP (fed/dp/accountant.ts), PRV (fed/dp/prv.ts) or
 * GDP (fed/dp/gdp.ts), or with --group K for K units together by the subject
 * accountant (fed/dp/group_accountant.ts); with --parameters D the noise's
 * cut tail is paid from delta first, as training's ledger pays it
 * (fed/dp/noise_tail.ts). One call to the accountant, then print.
 */
import {
  DEFAULT_ORDERS,
  defaultConversion,
  PrivacyParameterError,
  privacyEpsilon,
  samplings,
  type Sampling,
} from '../../fed/dp/accountant.js';
import { noiseForEpsilon, type Probe } from '../../fed/dp/calibrate.js';
import { gdpEpsilon } from '../../fed/dp/gdp.js';
import { checkGroup, GroupAccountant } from '../../fed/dp/group_accountant.js';
import { groupPrivacy, soundAccountantsWords, tightestEpsilon } from '../../fed/dp/ledger.js';
import { payNoiseTail, type NoiseTailPaid } from '../../fed/dp/noise_tail.js';
import { prvEpsilon } from '../../fed/dp/prv.js';
import { boundText } from '../../fed/dp/rounding.js';
import { UsageError, type FlagValues } from '../args.js';
import type { Command } from '../command.js';

const DESCRIPTIONS: Record<Sampling, string> = {
  poisson: 'Poisson-sampled Gaussian, RDP of Mironov et al. 2019, converted as Balle et al. 2020',
  'without-replacement':
    'Gaussian on batches drawn without replacement, RDP bound of Wang et al. 2019, converted as autodp (Mironov 2017)',
};

const accountants = ['rdp', 'prv', 'gdp'] as const;
type AccountantName = (typeof accountants)[number];

export const privacyCommand: Command = {
  name: 'privacy',
  summary: 'epsilon spent by DP-SGD from noise, sampling rate and steps',
  usage: [
    'usage: fedmed privacy --noise S --q Q --steps T [--delta D] [--sampling poisson|without-replacement]',
    '                      [--parameters D] [--accountant rdp|prv|gdp | --group K] [--json]',
    '       fedmed privacy --epsilon E --q Q --steps T [...]      (the sigma that spends E)',
    '',
    'Prints the epsilon of (epsilon, delta)-DP after T steps of the subsampled Gaussian',
    'mechanism with noise multiplier S (noise std / clipping norm) and sampling rate Q',
    '(batch / local dataset size): the tighter of rdp and prv, as training reports it',
    '(--accountant picks one). The paper\'s table: --sampling without-replacement',
    '--q 1/clients --steps 240. With --epsilon E instead of --noise, it first finds the',
    'smallest sigma (4 significant digits) whose epsilon, the tighter of rdp and prv, is',
    'at most E, as fedmed train --epsilon does for each client (with --accountant rdp or',
    'prv, that one\'s epsilon). A target of 0.001 or less (PRV\'s least error bar) is refused.',
    'To reproduce a run\'s figures, give --parameters D (its privacy.json\'s noisedParameters).',
    '',
    'What the numbers mean. Epsilon bounds how much one unit\'s data can change what',
    'training produces, and so how well an observer of the model can tell whether a',
    'given unit was in the data: with in and out equally likely, at epsilon E it guesses',
    'right at most e^E / (1 + e^E) of the time, plus delta (at epsilon 1 about 73%,',
    'against 50% for a coin toss); smaller is more private. delta is the small chance',
    'the bound fails; keep it below 1 / (number of units).',
    '',
    'What it covers. fedmed train --dp dp-sgd limits and noises, in every step, both the',
    'generators a hospital sends out and the discriminators it keeps (they learn from the',
    'same images and steer the generators), as one mechanism: epsilon covers everything',
    'trained on the data. --dp gs-wgan (the paper code\'s) does not: its epsilon is no',
    'guarantee, and its runs say so. Outside it: the training losses (a private fedmed node',
    'keeps them), its held-out patients\' scores (kept unless --share-scores), and what is',
    'taken as public, as in Opacus: how many items a hospital holds (it sets Q) and the settings.',
    '',
    'The unit (fedmed train --privacy-unit). "slice": one training item is protected (a',
    'source slice and a target slice, one patient\'s or, unpaired, two patients\'); a patient',
    'is in many items, so a patient\'s own guarantee is weaker, and train reports it too,',
    'with all the items that hold the patient\'s images accounted together (--group K here,',
    'K the most such items): large, and a bound for exact Gaussian noise only (see "The',
    'noise" below); with unpaired items it is for removing those items, not the patient',
    '(the pairing is drawn across patients).',
    '"subject": one patient is protected as a whole: all their slices in a step are',
    'clipped together, and epsilon is per patient. For a hospital, the subject figure is',
    'the one to sign.',
    '',
    'The randomness. A DP-SGD run\'s sampling and noise come from a secret key each hospital draws',
    'from the system\'s cryptographic generator and keeps with its private state (never from',
    '--seed, which anyone may know: with it, the noise could be recomputed and subtracted).',
    'fedmed train --dp-randomness seeded repeats a run bit for bit; its epsilon is no guarantee.',
    '',
    'The noise. The noise a computer draws stops somewhere (fedmed\'s at 7.5 sigma), which',
    'costs a little delta outside any accountant, growing with the number of noised',
    'parameters. Training pays it from the run\'s delta before computing epsilon (privacy.json',
    'records the count as noisedParameters); --parameters D does the same here, and without',
    'it the figures are for exact Gaussian noise. For a patient\'s many slices the cost can',
    'take all of delta: no bound is left (train then reports group privacy\'s figure).',
    '',
    'The accountants compute the same guarantee in different ways. rdp (Renyi DP): the',
    'standard, a proven upper bound, slightly loose. prv (privacy loss distribution,',
    'Gopi et al. 2021): a numerical computation with a proven error bar; it prints the',
    'bar and uses its upper end, usually 5-10% below rdp. gdp (Gaussian DP): a quick',
    'approximation that can fall below the true value, for comparison only. Training',
    'reports the smaller of rdp and prv, and so does this command unless --accountant',
    'names one.',
  ].join('\n'),
  flags: {
    noise: { type: 'number', help: 'noise multiplier sigma, >= 0', placeholder: 'S' },
    epsilon: { type: 'number', help: 'instead of --noise: find the sigma that spends this epsilon', placeholder: 'E' },
    q: { type: 'number', help: 'sampling rate, in (0, 1]', placeholder: 'Q' },
    steps: { type: 'int', help: 'number of steps (compositions), >= 1', placeholder: 'T' },
    delta: { type: 'number', help: 'delta, in (0, 1)', default: 1e-5, placeholder: 'D' },
    sampling: { type: 'string', help: 'how batches are drawn', default: 'poisson', choices: samplings },
    accountant: { type: 'string', help: 'one accountant instead of the tighter of rdp and prv: rdp (bound), prv (bound with an error bar), gdp (approximation); not with --group', choices: accountants },
    group: { type: 'int', help: 'epsilon for a group of K units together (one patient\'s K slices), by the subject accountant; Poisson only', default: 1, placeholder: 'K' },
    parameters: { type: 'int', help: 'noised parameters (a run\'s noisedParameters): pay the noise\'s cut tail from delta, as training does; Poisson only', placeholder: 'D' },
    json: { type: 'boolean', help: 'print JSON' },
  },
  async run(flags) {
    if (flags.noise !== undefined && flags.epsilon !== undefined) throw new UsageError('give --noise (to get epsilon) or --epsilon (to get sigma), not both');
    if (flags.noise === undefined && flags.epsilon === undefined) throw new UsageError('give --noise S (to get epsilon) or --epsilon E (to get sigma); see fedmed privacy --help');
    const run = { q: required(flags, 'q'), steps: required(flags, 'steps'), delta: flags.delta as number, sampling: flags.sampling as Sampling, noisedParameters: flags.parameters as number | undefined };
    const asked = flags.accountant as AccountantName | undefined;
    const group = flags.group as number;
    if (asked !== undefined && group > 1) throw new UsageError(`--accountant applies to one unit; --group ${group} is accounted by the subject accountant, so drop --accountant`);
    if (asked !== undefined && asked !== 'rdp' && run.sampling !== 'poisson') {
      throw new UsageError(`--accountant ${asked} analyses Poisson sampling only; use --accountant rdp with --sampling ${run.sampling}`);
    }
    if (group !== 1 && run.sampling !== 'poisson') throw new UsageError(`--group analyses Poisson sampling only, not --sampling ${run.sampling}`);
    const parameters = flags.parameters as number | undefined;
    if (parameters !== undefined && !(parameters >= 1)) throw new UsageError(`--parameters must be at least 1, got ${parameters}`);
    if (parameters !== undefined && run.sampling !== 'poisson') throw new UsageError(`--parameters accounts the noise's tail under Poisson sampling only, not --sampling ${run.sampling}`);
    if (parameters !== undefined && asked === 'gdp') throw new UsageError('--parameters applies to the bounds (rdp, prv, --group), not gdp\'s approximation');
    let query: Query;
    let spent;
    let paid: NoiseTailPaid;
    let accountant: AccountantName;
    try {
      checkGroup(group);
      // The accountants check every parameter (the search's first call among them).
      // An accountant asked for (rdp or prv, the sound ones) finds sigma itself, so that its figure below meets E.
      const calibrator = asked === 'gdp' ? undefined : asked;
      query = { noise: flags.epsilon === undefined ? (flags.noise as number) : noiseForEpsilon(flags.epsilon as number, run, run, calibrator, searchProgress()), ...run };
      paid = payNoiseTail([query], query, group);
      spent = paid.delta === null ? null : privacyEpsilon({ ...query, delta: paid.delta }); // RDP is also each accountant's reference
      // Unless one is asked for, the tighter of rdp and prv, as training's ledger reports (and as found sigma for E).
      accountant = asked ?? (group === 1 && paid.delta !== null && query.noise > 0 ? tightestEpsilon([query], query).accountant : 'rdp');
      if (flags.epsilon !== undefined) {
        const by = calibrator === undefined ? soundAccountantsWords(run.sampling) : calibrator.toUpperCase();
        if (flags.json !== true) console.log(`sigma = ${query.noise}: the smallest (4 significant digits) that spends at most epsilon ${flags.epsilon as number} (${by}); its accounting:`);
      }
    } catch (e) {
      if (e instanceof PrivacyParameterError) throw new UsageError(`--${e.parameter} ${e.requirement}`);
      throw e;
    }
    if (paid.delta === null) printTailTakesAll(query, group, paid.tail, flags.json === true);
    else if (group > 1) printGroup(query, group, paid, flags.json === true);
    else if (accountant === 'rdp') printRdp(query, spent!, paid.tail, flags.json === true);
    else if (accountant === 'prv') printPrv(query, paid, flags.json === true);
    else printGdp(query, flags.json === true);
  },
};

type Query = { noise: number; q: number; steps: number; delta: number; sampling: Sampling; noisedParameters?: number };

/** The tail paid where it left the accountant some delta. */
type Paid = Extract<NoiseTailPaid, { delta: number }>;

/** JSON's record of the tail paid, with --parameters only. */
function tailJson(query: Query, tail: number): { noiseTailDelta?: number } {
  return query.noisedParameters === undefined ? {} : { noiseTailDelta: tail };
}

/** The line under a bound saying what of delta paid the noise's tail (none without --parameters). */
function tailLine(query: Query, tail: number): void {
  if (query.noisedParameters !== undefined) console.log(`  of delta, ${upper(tail)} pays the noise's cut tail over ${query.noisedParameters} noised parameters; the accountant had the rest`);
}

function printTailTakesAll(query: Query, group: number, tail: number, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ epsilon: null, noiseTailDelta: tail, group, ...query }, null, 2));
    return;
  }
  if (query.noise === 0) return printUnbounded(query); // no tail to blame
  const who = group > 1 ? `a group of ${group} units` : 'one unit';
  console.log(`no bound at delta = ${query.delta} for ${who}: the noise's cut tail alone costs delta ${upper(tail)} over ${query.noisedParameters} noised parameters`);
  if (group > 1) console.log(groupPrivacyLine(groupPrivacyOf(query, group))); // the figure training then reports
}

/** Group privacy applied to one unit's epsilon (which pays one unit's tail itself). */
function groupPrivacyOf(query: Query, group: number): { one: number; scaled: { epsilon: number; delta: number } } {
  const one = tightestEpsilon([query], query).epsilon;
  return { one, scaled: groupPrivacy(one, query.delta, group) };
}

function groupPrivacyLine({ one, scaled }: ReturnType<typeof groupPrivacyOf>): string {
  const instead = scaled.delta < 1 ? `epsilon ${upper(scaled.epsilon)} at delta ${upper(scaled.delta)}` : 'no meaningful bound';
  return `  group privacy (one unit's epsilon ${upper(one)}, scaled up) would give ${instead}`;
}

function printRdp(query: Query, spent: { epsilon: number; order: number }, tail: number, json: boolean): void {
  if (json) {
    // JSON has no Infinity: epsilon and order are null when no noise is added.
    console.log(JSON.stringify({ ...spent, ...query, ...tailJson(query, tail), accountant: 'rdp', conversion: defaultConversion(query.sampling) }, null, 2));
    return;
  }
  if (noPrivacy(spent.epsilon, query)) return;
  console.log(`epsilon = ${upper(spent.epsilon)} at delta = ${query.delta} (best Renyi order ${significant(spent.order)})`);
  tailLine(query, tail);
  console.log(`  ${query.steps} steps, noise ${query.noise}, q ${query.q}: ${DESCRIPTIONS[query.sampling]}`);
  if (query.sampling === 'poisson' && spent.order === DEFAULT_ORDERS.at(-1)) {
    console.log(`  the best order is the grid's largest: higher orders could give a smaller epsilon`);
  }
}

function printPrv(query: Query, { tail, delta }: Paid, json: boolean): void {
  const prv = prvEpsilon([query], { delta });
  if (json) {
    console.log(JSON.stringify({ epsilon: prv.upper, estimate: prv.estimate, lower: prv.lower, ...query, ...tailJson(query, tail), accountant: 'prv' }, null, 2));
    return;
  }
  if (noPrivacy(prv.upper, query)) return;
  console.log(`epsilon = ${upper(prv.upper)} at delta = ${query.delta} (PRV upper bound; estimate ${significant(prv.estimate)}, true value in [${lower(prv.lower)}, ${upper(prv.upper)}])`);
  tailLine(query, tail);
  console.log(`  ${query.steps} steps, noise ${query.noise}, q ${query.q}: Poisson-sampled Gaussian, PRV accountant of Gopi et al. 2021 (eps_error ${significant(prv.epsError)}, delta_error delta/1000)`);
}

function printGroup(query: Query, group: number, { tail, delta }: Paid, json: boolean): void {
  const direct = new GroupAccountant(group).epsilon([query], delta);
  const scaledUp = groupPrivacyOf(query, group);
  if (json) {
    const groupPrivacyFigure = scaledUp.scaled.delta < 1 ? scaledUp.scaled : null; // null: no guarantee (delta >= 1)
    console.log(JSON.stringify({ epsilon: direct.upper, estimate: direct.estimate, lower: direct.lower, direction: direct.direction, group, ...query, ...tailJson(query, tail), accountant: 'subject', groupPrivacy: groupPrivacyFigure }, null, 2));
    return;
  }
  if (noPrivacy(direct.upper, query, ` for a group of ${group} units`)) {
    console.log(groupPrivacyLine(scaledUp));
    return;
  }
  console.log(`epsilon = ${upper(direct.upper)} at delta = ${query.delta} for a group of ${group} units (upper bound; estimate ${significant(direct.estimate)}, true value in [${lower(direct.lower)}, ${upper(direct.upper)}])`);
  console.log(`  ${query.steps} steps, noise ${query.noise}, q ${query.q}: Poisson-sampled Gaussian, the group's units accounted together (subject accountant: Schuchardt et al. 2024 with the PRV accountant)`);
  tailLine(query, tail);
  console.log(groupPrivacyLine(scaledUp));
}

function printGdp(query: Query, json: boolean): void {
  const epsilon = gdpEpsilon([query], query.delta);
  if (json) {
    console.log(JSON.stringify({ epsilon, ...query, accountant: 'gdp' }, null, 2));
    return;
  }
  if (noPrivacy(epsilon, query)) return;
  console.log(`epsilon ~ ${significant(epsilon)} at delta = ${query.delta} (GDP, a central-limit approximation, not a bound)`);
  console.log(`  ${query.steps} steps, noise ${query.noise}, q ${query.q}: Poisson-sampled Gaussian, Bu et al. 2020`);
}

/** Whether `epsilon` is no bound at all, said (with why) when it is; `who`: the group, where there is one. */
function noPrivacy(epsilon: number, query: Query, who = ''): boolean {
  if (epsilon !== Infinity) return false;
  printUnbounded(query, who);
  return true;
}

/** An infinite epsilon, and its cause: no noise at all, or a loss past what the accountant can bound. */
function printUnbounded(query: Query, who = ''): void {
  const why = query.noise === 0
    ? 'without noise there is no privacy'
    : `the privacy loss of ${query.steps} steps at noise ${query.noise} and q ${query.q} is past what the accountant can bound, so there is no finite bound (more noise, fewer steps or a smaller q)`;
  console.log(`epsilon = inf at delta = ${query.delta}${who}: ${why}`);
}

/** Each sigma the search tries, on stderr once it has run past 2 s (PRV's calls take up to seconds each near its cap). */
function searchProgress(): (probe: Probe) => void {
  const started = performance.now();
  return ({ noise, epsilon }) => {
    if (performance.now() - started > 2000) console.error(`searching: sigma ${significant(noise)} spends epsilon ${upper(epsilon)}`);
  };
}

function required(flags: FlagValues, name: string): number {
  const value = flags[name];
  if (value === undefined) throw new UsageError(`--${name} is required; see fedmed privacy --help`);
  return value as number;
}

/** Six significant digits, without trailing zeros: an estimate or a Renyi order, to nearest. */
function significant(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** A guarantee (an upper bound) to six significant digits, rounded up: never shown below its value. */
function upper(x: number): string {
  return boundText(x, { significant: 6 });
}

/** A lower end of an interval to six significant digits, rounded down: never shown above its value. */
function lower(x: number): string {
  return boundText(x, { significant: 6 }, 'down');
}
