/** fedmed node: a hospital joining a Flower federation as a SuperNode of its own. */
import { readFile } from 'node:fs/promises';
import { UsageError, type FlagSpecs, type FlagValues } from '../args.js';
import type { Command } from '../command.js';
import { dpRandomnessHelp, trainFlags } from '../train/config.js';

/** The training settings that describe one hospital's local training (the federation's are the server's). */
const clientFlagNames = [
  'data', 'model', 'direction', 'size', 'width', 'batch', 'lr', 'identity', 'seed', 'local-epochs', 'paired-ratio',
  'misalign', 'misalign-level', 'dp', 'privacy-unit', 'dp-randomness', 'clip', 'clip-split', 'noise', 'epsilon', 'delta', 'sensitivity', 'subjects', 'phantom-size', 'test-fraction', 'backend',
  'skip-bad-subjects', 'allow-no-privacy',
] as const;

export const nodeFlags = {
  superlink: { type: 'string', help: "the SuperLink's Fleet API (grpc-rere)", default: '127.0.0.1:9092', placeholder: 'HOST:PORT' },
  state: { type: 'string', help: 'where the node keeps what never leaves it: discriminators, Adam moments, the privacy ledger of all its runs (required)', placeholder: 'DIR' },
  'root-certificates': { type: 'string', help: "PEM file of the CA that signed the SuperLink's TLS certificate (without it: plaintext, Flower's --insecure)", placeholder: 'FILE' },
  'max-epsilon': { type: 'number', help: "the hospital's privacy budget per privacy unit (--privacy-unit: a slice unless subject; each round's log also gives a whole patient's figure), over every run its --state folder has served: train messages that would spend more are refused (default: --epsilon's E)", placeholder: 'E' },
  'poll-interval': { type: 'number', help: "seconds between asking the SuperLink for work while idle (Flower's own SuperNode waits 3)", default: 0.5, placeholder: 'S' },
  'heartbeat-interval': { type: 'number', help: 'seconds between the heartbeats the node promises; the SuperLink takes it for offline after twice this (10 to 1800)', default: 30, placeholder: 'S' },
  'give-up-after': { type: 'number', help: 'seconds to keep retrying, with growing waits, while the SuperLink cannot be reached', default: 120, placeholder: 'S' },
  part: { type: 'string', help: "train on share K of N of --data's training subjects, dealt as train --clients N --scheme does (trying a federation on one machine)", placeholder: 'K/N' },
  scheme: trainFlags.scheme,
  ...Object.fromEntries(clientFlagNames.map((name) => [name, trainFlags[name]])),
  'local-epochs': { ...trainFlags['local-epochs'], help: "local epochs of a round whose train message does not say (its config's local-epochs)" },
  'dp-randomness': { ...trainFlags['dp-randomness'], help: dpRandomnessHelp('the --state folder') },
  epsilon: { ...trainFlags.epsilon, help: "DP-SGD instead of --noise: the epsilon this hospital spends over --rounds rounds of --local-epochs; its sigma is the smallest that does, and it is the node's --max-epsilon unless that is given" },
  'share-scores': { type: 'boolean', help: "a private node: answer 'evaluate' with the held-out subjects' scores, which DP does not cover (without it, evaluate messages are refused and only DP-covered results leave the node)" },
  rounds: { type: 'int', help: 'with --epsilon (and needed by it): the rounds this hospital plans to train, over which it spends E (the federation decides how many it runs)', placeholder: 'R', min: 1 },
} as FlagSpecs;

export const nodeCommand: Command = {
  name: 'node',
  summary: 'join a Flower federation as a hospital: a SuperNode that trains on local data',
  usage: [
    'usage: fedmed node --state DIR [--superlink HOST:PORT] [--data DIR|phantom] [--direction SRC:DST] [flags]',
    '',
    "Connects to a Flower SuperLink's Fleet API and answers the federation's messages:",
    "'train' brings the global generators; the node trains its local epochs on its own data",
    '(with DP-SGD or GS-WGAN if --dp is given) and replies with its generators and the number',
    "of examples FedAvg weights them by. 'evaluate' scores received generators on the node's",
    'held-out subjects. A private node (--dp) refuses evaluate unless --share-scores is given:',
    'DP covers what training sends, not the scores of the held-out subjects. Data,',
    'discriminators, Adam moments and the privacy ledger never leave the node; they live in',
    '--state, written after every round, so a killed node started again with the same flags',
    "rejoins where it was (--state is a new or empty folder, or the node's own, whose files are",
    'verified against their SHA-256 on start; one node at a time: a second is refused). A',
    '--state folder serves any number of Flower runs (flwr run), one after another: the',
    "privacy ledger spans them, each run's rounds adding to the same epsilon and counting",
    'against the same --max-epsilon (a new folder would start from 0 and spend the same data',
    "again). A message's lr holds for its round only. Stop it with Ctrl-C (SIGINT) or SIGTERM:",
    'it leaves the federation cleanly and exits 130 or 143, also while retrying an unreachable',
    'SuperLink. A SuperLink restarted with its state in memory forgets its nodes: the node',
    "then stops with a line saying so (as Flower's own SuperNode does); started again, it",
    'rejoins. A message the node cannot read (a malformed object, one that never arrives or',
    "is too large) gets an error reply naming the object. The model settings must match the",
    "federation (its ServerApp's initial generators, see examples/flower).",
  ].join('\n'),
  flags: nodeFlags,
  async run(flags, _positionals, given) {
    if (typeof flags.state !== 'string') throw new UsageError('fedmed node needs --state DIR (where the node keeps its private state); see fedmed node --help');
    const { runNode } = await import('../node/run.js');
    await runNode(await nodeSettings(flags, given));
  },
};

export interface NodeSettings {
  superlink: string;
  stateDir: string;
  maxEpsilon: number | null;
  /** Answer evaluate messages with held-out scores (always without DP; with DP only when --share-scores is given). */
  shareScores: boolean;
  pollInterval: number;
  heartbeatInterval: number;
  /** PEM bytes of the CA for TLS, or null for plaintext. */
  rootCertificates: Uint8Array | null;
  /** Seconds to keep retrying an unreachable SuperLink. */
  giveUpAfter: number;
  /** 1-based share and share count, or null for all training subjects. */
  part: { k: number; n: number } | null;
  /** The training flags, as `fedmed train` reads them. */
  train: FlagValues;
  given: ReadonlySet<string>;
}

async function nodeSettings(flags: FlagValues, given: ReadonlySet<string>): Promise<NodeSettings> {
  const maxEpsilon = flags['max-epsilon'] as number | undefined;
  if (maxEpsilon !== undefined && !(maxEpsilon > 0)) throw new UsageError(`--max-epsilon must be positive, got ${maxEpsilon}`);
  if (!((flags['poll-interval'] as number) > 0)) throw new UsageError(`--poll-interval must be positive, got ${flags['poll-interval']}`);
  const heartbeat = flags['heartbeat-interval'] as number;
  if (!(heartbeat >= 10 && heartbeat <= 1800)) throw new UsageError(`--heartbeat-interval must be within [10, 1800] seconds (the SuperLink's range), got ${heartbeat}`);
  if (!((flags['give-up-after'] as number) >= 0)) throw new UsageError(`--give-up-after must be at least 0, got ${flags['give-up-after']}`);
  if (maxEpsilon !== undefined && flags.dp === 'off') throw new UsageError('--max-epsilon applies to a private node: add --dp dp-sgd');
  if (maxEpsilon !== undefined && flags.dp === 'gs-wgan') throw new UsageError("--max-epsilon needs --dp dp-sgd: GS-WGAN's epsilon is no guarantee (its discriminators and cycle terms read real images without noise), so no budget can be kept with it");
  if (given.has('rounds') && !given.has('epsilon')) throw new UsageError('--rounds applies to a node only with --epsilon (the rounds it spends E over); the federation decides how many rounds it runs');
  if (given.has('epsilon') && !given.has('rounds')) throw new UsageError('--epsilon needs --rounds R on a node: the rounds this hospital plans to train, over which it spends E');
  if (given.has('scheme') && !given.has('part')) throw new UsageError('--scheme applies to a node only with --part K/N (how the shares it takes one of are dealt)');
  if (flags['share-scores'] && flags.dp === 'off') throw new UsageError('--share-scores applies to a private node (--dp): without DP, evaluate is always answered with the scores');
  const epsilon = flags.epsilon as number | undefined;
  return {
    superlink: parseHostPort(flags.superlink as string),
    stateDir: flags.state as string,
    maxEpsilon: maxEpsilon ?? epsilon ?? null,
    shareScores: flags.dp === 'off' || flags['share-scores'] === true,
    pollInterval: flags['poll-interval'] as number,
    giveUpAfter: flags['give-up-after'] as number,
    heartbeatInterval: flags['heartbeat-interval'] as number,
    rootCertificates: typeof flags['root-certificates'] === 'string' ? await readPem(flags['root-certificates']) : null,
    part: typeof flags.part === 'string' ? parsePart(flags.part) : null,
    train: flags,
    given,
  };
}

async function readPem(file: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--root-certificates ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--root-certificates ${file}: not a PEM certificate file`);
  return new TextEncoder().encode(text);
}

function parseHostPort(text: string): string {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) throw new UsageError(`--superlink is HOST:PORT such as 127.0.0.1:9092, got '${text}'`);
  return text;
}

function parsePart(text: string): { k: number; n: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const [k, n] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(k >= 1 && k <= n)) throw new UsageError(`--part is K/N with 1 <= K <= N, such as 2/3, got '${text}'`);
  return { k, n };
}
