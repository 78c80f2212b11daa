/**
 * The training configuration: one declaration serves the command-line flags,
 * the keys of a --config JSON file (the same names) and --help. Everything is
 * resolved into a typed TrainConfig, which the run folder keeps as
 * config.json and --resume reads back.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { contrastOf, type Contrast, type PrivacyUnit } from '../../data/index.js';
import { DEFAULT_GENERATOR_SHARE } from '../../fed/dp/dpsgd.js';
import type { DpRandomness } from '../../fed/dp/secret.js';
import { modelNames, sizeProblem, type ModelName } from '../../models/index.js';
import { convert, parseFlags, suggest, UsageError, type FlagSpecs, type FlagValues } from '../args.js';
import { backendFlag, threadsFlag, workersFlag } from '../backend-flags.js';

/** --dp-randomness's help; `kept`: where the secret key lives (a run's checkpoints, a node's --state folder). */
export function dpRandomnessHelp(kept: string): string {
  return `where DP-SGD's sampling and the DP noise come from (GS-WGAN's shuffled batches follow the seed; its epsilon is no guarantee anyway): a secret key per client drawn from the system's cryptographic generator and kept in ${kept}, or the seed (the run repeats bit for bit, but anyone who knows the settings can replay the noise: its epsilon is no guarantee)`;
}

export const trainFlags = {
  config: { type: 'string', help: 'a JSON file of these settings (keys as the flag names; a data or start-from path in it is relative to its folder); flags given too win', placeholder: 'FILE' },
  data: { type: 'string', help: "'phantom' (built in, no download) or an IXI / BraTS2021 folder", default: 'phantom', placeholder: 'DIR|phantom' },
  model: { type: 'string', help: 'the GAN', default: 'cyclegan', choices: modelNames },
  direction: { type: 'string', help: 'source:target contrasts, e.g. pd:t2, t1:t2, t1:flair', default: 'pd:t2', placeholder: 'SRC:DST' },
  size: { type: 'int', help: 'slice side in pixels (the paper: 256)', default: 64 },
  width: { type: 'int', help: "channels of the networks' first layer (the paper: 64)", default: 16 },
  epochs: { type: 'int', help: 'centralized training: passes over the data', default: 30 },
  batch: { type: 'int', help: 'batch size', default: 4 },
  lr: { type: 'number', help: 'Adam learning rate (betas 0.5, 0.999)', default: 1e-4 },
  identity: { type: 'string', help: 'identity loss: CycleGAN standard or the reference code variant', default: 'standard', choices: ['standard', 'reference'] },
  discriminators: { type: 'int', help: "cyclegan: K discriminators per domain, their scores averaged (the paper's ablation, Tables 5-6: K = clients)", default: 1 },
  seed: { type: 'int', help: 'seed of everything random', default: 3 },
  'start-from': { type: 'string', help: "generators to start from instead of fresh weights: a run folder, a round folder or a generators .safetensors file of this model, direction, width and size, such as one trained on a public dataset; training fine-tunes them. Under DP the epsilon covers this run's training only: the starting generators must not have been trained on the hospitals' data. An empty value starts fresh, over a --config file's", placeholder: 'RUN|FILE' },
  clients: { type: 'int', help: 'federated hospitals (0: centralized training)', default: 0 },
  scheme: { type: 'string', help: 'how subjects are shared among clients (paper, Table 3)', default: 'gradual', choices: ['average', 'gradual', 'extreme', 'site'] },
  weights: { type: 'string', help: 'explicit client shares instead of a scheme, e.g. 0.5,0.3,0.2', placeholder: 'W,W,...' },
  rounds: { type: 'int', help: 'federated rounds', default: 10 },
  'local-epochs': { type: 'int', help: 'epochs each client trains per round', default: 3 },
  'paired-ratio': { type: 'number', help: 'share of paired items in each client', default: 0.5 },
  misalign: { type: 'string', help: 'misalignment augmentation of each contrast', default: 'none', choices: ['none', 'slight', 'severe'] },
  'misalign-level': { type: 'number', help: "level L of 'slight' (rotation up to L degrees)", default: 3 },
  dp: { type: 'string', help: 'differential privacy (bare --dp: dp-sgd, which covers generators and discriminators; gs-wgan, the paper code\'s, reports an epsilon that is no guarantee)', default: 'off', choices: ['off', 'dp-sgd', 'gs-wgan'], bareValue: 'dp-sgd' },
  clip: { type: 'number', help: "DP clipping bound C (dp-sgd: on each unit's generator and discriminator gradients together)", default: 1.0 },
  'clip-split': { type: 'number', help: "DP-SGD: the generators' share of C^2, in (0, 1); the discriminators are clipped to the rest", default: DEFAULT_GENERATOR_SHARE, placeholder: 'S' },
  noise: { type: 'number', help: 'DP noise multiplier sigma, the same for every client', default: 1.07 },
  epsilon: { type: 'number', help: "DP-SGD instead of --noise: the epsilon each client spends over the whole run (at --delta); each sets its own sigma from its data's size and its steps, so a large hospital needs less noise than a small one", placeholder: 'E' },
  delta: { type: 'number', help: 'DP delta for the reported epsilon', default: 1e-5 },
  'dp-randomness': { type: 'string', help: dpRandomnessHelp('its checkpoints'), default: 'secret', choices: ['secret', 'seeded'] },
  'privacy-unit': { type: 'string', help: "whom DP-SGD protects: one slice, or one subject's slices together (needs --paired-ratio 1); see fedmed privacy --help", default: 'slice', choices: ['slice', 'subject'] },
  sensitivity: { type: 'number', help: "GS-WGAN's sensitivity factor", default: 2.0 },
  subjects: { type: 'int', help: 'phantom: number of subjects', default: 24 },
  'phantom-size': { type: 'int', help: 'phantom: voxels along each side of the volume', default: 64 },
  'test-fraction': { type: 'number', help: 'share of subjects held out for testing', default: 0.2 },
  'keep-rounds': { type: 'string', help: "rounds (epochs, when centralized) whose checkpoint is kept besides the latest, e.g. 5,10 (fedmed latent --round, or eval of a round folder)", placeholder: 'N,N,...' },
  backend: backendFlag,
  workers: workersFlag,
  threads: { ...threadsFlag, help: "wasm: threads of each engine, the calling one included (default: the cores, shared among --workers)" },
  out: { type: 'string', help: 'run folder (default runs/<model>-<time>)', placeholder: 'DIR' },
  resume: { type: 'string', help: 'continue the run in this folder from its last checkpoint', placeholder: 'DIR' },
  force: { type: 'boolean', help: "replace the run already in --out (its files are removed first)" },
  'allow-no-privacy': { type: 'boolean', help: 'allow --dp with --noise 0 (no privacy: epsilon is infinite)' },
  'skip-bad-subjects': { type: 'boolean', help: 'leave out subjects with an unreadable file or a problem (see fedmed data inspect), listing them on stderr and in skipped.json, rather than refuse the data' },
} as const satisfies FlagSpecs;

/** Flags of the command line only: they say how to run, not what the run is, so a --config file cannot hold them. */
const commandOnly = new Set(['config', 'out', 'resume', 'force', 'allow-no-privacy', 'workers', 'threads']);

type TrainFlag = keyof typeof trainFlags;

const hasWeights = (f: FlagValues) => typeof f.weights === 'string' && f.weights !== '';
const federated = (f: FlagValues) => Number(f.clients) > 0 || hasWeights(f);
const dpOn = (f: FlagValues) => f.dp !== 'off';

/**
 * When a flag applies; setting one outside it (on the command line or in
 * --config) is an error, never silently ignored. A new mode-specific flag
 * adds its row here.
 */
const appliesWhen: Partial<Record<TrainFlag, { when: (f: FlagValues) => boolean; needs: string }>> = {
  rounds: { when: federated, needs: '--clients (federated training; centralized training counts --epochs)' },
  'local-epochs': { when: federated, needs: '--clients (federated training)' },
  scheme: { when: (f) => federated(f) && !hasWeights(f), needs: '--clients and without --weights (explicit shares replace the scheme)' },
  epochs: { when: (f) => !federated(f), needs: 'centralized training (without --clients; federated training counts --rounds)' },
  clip: { when: dpOn, needs: '--dp' },
  'clip-split': { when: (f) => f.dp === 'dp-sgd', needs: '--dp dp-sgd' },
  noise: { when: dpOn, needs: '--dp' },
  epsilon: { when: (f) => f.dp === 'dp-sgd', needs: '--dp dp-sgd (a guarantee to spend; GS-WGAN\'s epsilon is none)' },
  delta: { when: dpOn, needs: '--dp' },
  'dp-randomness': { when: dpOn, needs: '--dp' },
  'privacy-unit': { when: (f) => f.dp === 'dp-sgd', needs: '--dp dp-sgd' },
  sensitivity: { when: (f) => f.dp === 'gs-wgan', needs: '--dp gs-wgan' },
  'allow-no-privacy': { when: dpOn, needs: '--dp' },
  'misalign-level': { when: (f) => f.misalign === 'slight', needs: '--misalign slight' },
  subjects: { when: (f) => f.data === 'phantom', needs: '--data phantom' },
  'phantom-size': { when: (f) => f.data === 'phantom', needs: '--data phantom' },
  'skip-bad-subjects': { when: (f) => f.data !== 'phantom', needs: '--data DIR (the phantom has no bad subjects)' },
};

/** Refuses flags set outside the mode they apply to. */
function checkApplicable(f: FlagValues, set: ReadonlySet<string>): void {
  for (const name of set) {
    const rule = appliesWhen[name as TrainFlag];
    if (rule && !rule.when(f)) throw new UsageError(`--${name} applies only with ${rule.needs}`);
  }
}

export interface TrainConfig {
  data: string;
  model: ModelName;
  source: Contrast;
  target: Contrast;
  size: number;
  width: number;
  batch: number;
  lr: number;
  identity: 'standard' | 'reference';
  /** Discriminators per domain, scores averaged (CycleGAN only); absent from runs written before it existed: 1. */
  discriminators?: number;
  seed: number;
  /** The generators checkpoint a new run starts from (resolved), instead of the seed's fresh weights; absent when none. */
  startFrom?: string;
  /** 0 for centralized training. */
  clients: number;
  scheme: 'average' | 'gradual' | 'extreme' | 'site';
  weights: number[] | null;
  /** Federated rounds, or the epochs of centralized training. */
  rounds: number;
  /** Epochs per round (1 for centralized training). */
  localEpochs: number;
  pairedRatio: number;
  misalign: 'none' | 'slight' | 'severe';
  misalignLevel: number;
  dp: 'off' | 'dp-sgd' | 'gs-wgan';
  clip: number;
  /** DP-SGD: the generators' share of C^2; absent from runs written before it existed: DEFAULT_GENERATOR_SHARE. */
  clipSplit?: number;
  /** The noise multiplier of every client; null when each client's own comes from `epsilon`. */
  noise: number | null;
  /** DP-SGD: the epsilon each client spends over the whole run, its noise multiplier set to spend it; absent with a fixed noise. */
  epsilon?: number;
  delta: number;
  /** What DP-SGD samples, clips and accounts: a slice, or a subject with its slices. */
  privacyUnit: PrivacyUnit;
  /** Where DP sampling and noise come from (fed/dp/secret.ts); absent from runs written before it existed: 'seeded'. */
  dpRandomness?: DpRandomness;
  sensitivity: number;
  phantomSubjects: number;
  phantomSize: number;
  testFraction: number;
  /** Leave out bad subjects rather than refuse the data; absent from runs written before it existed: false. */
  skipBadSubjects?: boolean;
  /** The held-out subjects the run's split drew when it started (set by runTraining, never a flag); absent from runs written before they were recorded. */
  testSubjects?: string[];
  /** Rounds whose checkpoint is kept besides the latest; absent when none. */
  keepRounds?: number[];
  backend: 'auto' | 'webgpu' | 'wasm' | 'js';
}

/** Flags and --config merged (flags win), checked and typed. */
export async function resolveTrainConfig(flags: FlagValues, given: ReadonlySet<string>): Promise<TrainConfig> {
  const merged: FlagValues = { ...flags };
  const set = new Set(given);
  if (typeof flags.config === 'string') {
    const fromFile = await readConfigFile(flags.config);
    for (const [k, v] of Object.entries(fromFile)) {
      set.add(k);
      if (!given.has(k)) merged[k] = v;
    }
  }
  checkApplicable(merged, set);
  const config = typedConfig(merged, noiseOrEpsilon(set, given));
  if (config.dp !== 'off' && config.noise === 0 && merged['allow-no-privacy'] !== true) {
    throw new UsageError(`--dp ${config.dp} with --noise 0 gives no privacy (epsilon is infinite); give a noise multiplier, or --allow-no-privacy if that is meant`);
  }
  return config;
}

/**
 * Which of --noise and --epsilon sets the noise: the one given, or the
 * command line's when the config file holds the other (flags win); both in
 * one place is an error.
 */
function noiseOrEpsilon(set: ReadonlySet<string>, given: ReadonlySet<string>): 'noise' | 'epsilon' {
  if (!set.has('epsilon')) return 'noise';
  if (!set.has('noise')) return 'epsilon';
  if (given.has('noise') === given.has('epsilon')) throw new UsageError(`give --noise (one sigma for every client) or --epsilon (each client's sigma set to spend it), not both${given.has('noise') ? '' : ' (both are in the config file)'}`);
  return given.has('noise') ? 'noise' : 'epsilon';
}

/** How the run sets DP's noise, in words: one sigma, or each client's to spend the target epsilon. */
export function noiseWords(config: TrainConfig): string {
  return config.noise !== null ? `sigma ${config.noise}` : `each client's sigma set to spend epsilon ${config.epsilon}`;
}

async function readConfigFile(path: string): Promise<FlagValues> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--config ${path}: expected a JSON object of settings`);
  if ('source' in parsed && 'target' in parsed) {
    throw new UsageError(`--config ${path}: a run folder's config.json (the settings as the run resolved them), not a --config file, whose keys are the flag names (direction, local-epochs, ...); --resume ${dirname(path)} continues that run`);
  }
  const out: FlagValues = {};
  const specs: FlagSpecs = trainFlags;
  const settingNames = Object.keys(trainFlags).filter((k) => !commandOnly.has(k));
  for (const [key, value] of Object.entries(parsed)) {
    const spec = specs[key];
    if (commandOnly.has(key)) throw new UsageError(`--config ${path}: '${key}' says how to run, not what the run is: give it on the command line (--${key})`);
    if (!spec) throw new UsageError(`--config ${path}: unknown key '${key}'${suggest(key, settingNames, '')}`);
    out[key] = convert(key, Array.isArray(value) ? value.join(',') : value, spec);
  }
  // Paths in the file name files beside it, from wherever the command runs (as the command line's name them from where it runs).
  for (const [key, none] of fileSettings) {
    const value = out[key];
    if (typeof value === 'string' && value !== none) out[key] = resolve(dirname(path), value);
  }
  return out;
}

/** Settings that name a file or folder, each with the value that names none: the built-in phantom, a fresh start. */
const fileSettings = [['data', 'phantom'], ['start-from', '']] as const;

function typedConfig(f: FlagValues, noiseFrom: 'noise' | 'epsilon'): TrainConfig {
  const num = (k: keyof typeof trainFlags) => f[k] as number;
  const str = (k: keyof typeof trainFlags) => f[k] as string;
  const [src, dst, ...extra] = str('direction').split(':');
  if (!src || !dst || extra.length) throw new UsageError(`--direction is SRC:DST such as pd:t2, got '${str('direction')}'`);
  const source = contrastOrUsage(src);
  const target = contrastOrUsage(dst);
  if (source === target) throw new UsageError(`--direction translates between two different contrasts, got ${source} twice`);
  const atLeast = (k: keyof typeof trainFlags, min: number) => {
    if (!(num(k) >= min)) throw new UsageError(`--${k} must be at least ${min}, got ${num(k)}`);
  };
  // Upper bounds far above any run that fits in memory, so a typo is one line, not an allocation failure.
  const atMost = (k: keyof typeof trainFlags, max: number) => {
    if (!(num(k) <= max)) throw new UsageError(`--${k} must be at most ${max}, got ${num(k)}`);
  };
  atMost('size', 1024);
  atMost('width', 256);
  atMost('batch', 4096);
  atMost('phantom-size', 512);
  atMost('subjects', 10000);
  atLeast('size', 16);
  atLeast('width', 1);
  atLeast('batch', 1);
  atLeast('epochs', 1);
  atLeast('rounds', 1);
  atLeast('local-epochs', 1);
  atLeast('clients', 0);
  atLeast('discriminators', 1);
  if (num('discriminators') > 1 && !str('model').startsWith('cyclegan')) {
    throw new UsageError(`--discriminators ${num('discriminators')}: averaged discriminators are CycleGAN's ablation (cyclegan, cyclegan-resnet), not ${str('model')}`);
  }
  atLeast('subjects', 2);
  atLeast('phantom-size', 16);
  atLeast('seed', 0);
  atMost('seed', 2 ** 32 - 1); // the engine's generator takes 32 bits: larger seeds would collide
  const badSize = sizeProblem(str('model') as ModelName, num('size'));
  if (badSize) throw new UsageError(`--size: ${badSize}`);
  for (const k of ['lr', 'clip', 'sensitivity'] as const) if (!(num(k) > 0)) throw new UsageError(`--${k} must be positive, got ${num(k)}`);
  if (!(num('clip-split') > 0 && num('clip-split') < 1)) throw new UsageError(`--clip-split must be in (0, 1), got ${num('clip-split')}`);
  if (!(num('noise') >= 0)) throw new UsageError(`--noise must be at least 0, got ${num('noise')}`);
  if (noiseFrom === 'epsilon' && !(num('epsilon') > 0 && Number.isFinite(num('epsilon')))) throw new UsageError(`--epsilon must be a positive number, got ${num('epsilon')}`);
  if (!(num('delta') > 0 && num('delta') < 1)) throw new UsageError(`--delta must be in (0, 1), got ${num('delta')}`);
  if (!(num('paired-ratio') >= 0 && num('paired-ratio') <= 1)) throw new UsageError(`--paired-ratio must be in [0, 1], got ${num('paired-ratio')}`);
  if (!(num('test-fraction') > 0 && num('test-fraction') < 1)) throw new UsageError(`--test-fraction must be in (0, 1), got ${num('test-fraction')}`);
  if (str('privacy-unit') === 'subject' && (str('dp') !== 'dp-sgd' || num('paired-ratio') !== 1)) {
    throw new UsageError(`--privacy-unit subject needs --dp dp-sgd and --paired-ratio 1 (an unpaired item holds two subjects' images), got --dp ${str('dp')} --paired-ratio ${num('paired-ratio')}`);
  }
  const weights = typeof f.weights === 'string' && f.weights !== '' ? parseWeights(f.weights) : null;
  const clients = num('clients');
  if (weights && clients && weights.length !== clients) throw new UsageError(`--weights gives ${weights.length} shares for ${clients} clients`);
  const federated = clients > 0 || weights !== null;
  const rounds = federated ? num('rounds') : num('epochs');
  const keepRounds = typeof f['keep-rounds'] === 'string' && f['keep-rounds'] !== '' ? parseKeepRounds(f['keep-rounds'], rounds) : undefined;
  return {
    // Resolved, so eval and --resume find the folder from any working directory.
    data: str('data') === 'phantom' ? 'phantom' : resolve(str('data')),
    model: str('model') as ModelName,
    source,
    target,
    size: num('size'),
    width: num('width'),
    batch: num('batch'),
    lr: num('lr'),
    identity: str('identity') as TrainConfig['identity'],
    discriminators: num('discriminators'),
    seed: num('seed'),
    ...(typeof f['start-from'] === 'string' && f['start-from'] !== '' ? { startFrom: resolve(str('start-from')) } : {}),
    clients: federated ? (weights?.length ?? clients) : 0,
    scheme: str('scheme') as TrainConfig['scheme'],
    weights,
    rounds,
    localEpochs: federated ? num('local-epochs') : 1,
    pairedRatio: num('paired-ratio'),
    misalign: str('misalign') as TrainConfig['misalign'],
    misalignLevel: num('misalign-level'),
    dp: str('dp') as TrainConfig['dp'],
    clip: num('clip'),
    clipSplit: num('clip-split'),
    noise: noiseFrom === 'noise' ? num('noise') : null,
    ...(noiseFrom === 'epsilon' ? { epsilon: num('epsilon') } : {}),
    delta: num('delta'),
    privacyUnit: str('privacy-unit') as PrivacyUnit,
    dpRandomness: str('dp-randomness') as DpRandomness,
    sensitivity: num('sensitivity'),
    phantomSubjects: num('subjects'),
    phantomSize: num('phantom-size'),
    testFraction: num('test-fraction'),
    skipBadSubjects: f['skip-bad-subjects'] === true,
    keepRounds,
    backend: str('backend') as TrainConfig['backend'],
  };
}

/** Where a run's DP sampling and noise come from; runs written before the setting existed drew them from the seed. */
export function dpRandomnessOf(config: TrainConfig): DpRandomness {
  return config.dpRandomness ?? 'seeded';
}

function contrastOrUsage(name: string): Contrast {
  try {
    return contrastOf(name, '--direction');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function parseKeepRounds(text: string, rounds: number): number[] {
  const list = text.split(',').map((r) => Number(r.trim()));
  const bad = list.find((r) => !(Number.isInteger(r) && r >= 1 && r <= rounds));
  if (bad !== undefined) throw new UsageError(`--keep-rounds is a comma list of rounds from 1 to ${rounds} (the run's rounds or epochs), got '${text}'`);
  return [...new Set(list)].sort((a, b) => a - b);
}

function parseWeights(text: string): number[] {
  const weights = text.split(',').map((w) => Number(w.trim()));
  if (weights.length < 1 || weights.some((w) => !(w > 0))) throw new UsageError(`--weights is a comma list of positive shares, got '${text}'`);
  return weights;
}

/** Parses a train command line (tests use it; the CLI parses through cli/main.ts). */
export async function trainConfigFromArgs(argv: readonly string[]): Promise<TrainConfig> {
  const { flags, given } = parseFlags(argv, trainFlags);
  return resolveTrainConfig(flags, given);
}
