/**
 * A training run, centralized (one client, a round per epoch) or federated
 * (FedAvg over K clients): after every round the global generators are
 * evaluated on the held-out subjects, a checkpoint is saved and then the
 * run folder is rewritten (metrics, grids, curves, report, privacy ledger),
 * so a crash loses at most one round, the run files never show a round the
 * checkpoint does not hold, and --resume continues where it stopped (first
 * rewriting the run files from the checkpoint), giving the same weights as
 * an uninterrupted run.
 */
import path from 'node:path';
import { writeRunFiles } from '../../store/atomic.js';
import { evaluate } from '../../eval/evaluate.js';
import { comparisonGrid } from '../../eval/grid.js';
import { encodePng } from '../../eval/png.js';
import { clientsCsv, type ClientRecord, type DirectionMetrics, type EpochRecord } from '../../eval/records.js';
import { configJson, runFiles, type GridImage } from '../../eval/report.js';
import { DEFAULT_GENERATOR_SHARE } from '../../fed/dp/dpsgd.js';
import { epsilonWords, PrivacyLedger, soundAccountantsWords, type LedgerEntry } from '../../fed/dp/ledger.js';
import { skippedLine, SUBJECT_SLICES } from '../../data/index.js';
import { federatedRound } from '../../fed/round.js';
import { metadataRecord } from '../../fed/checkpoint.js';
import { readNamed, writeNamed } from '../../fed/state.js';
import type { StateEntry } from '../../engine/index.js';
import { Progress } from '../progress.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { noiseWords, type TrainConfig } from './config.js';
import type { Placement } from './placement.js';
import { runSettings } from './run-folder.js';
import { buildSetup, privacyLedger, type TrainingSetup } from './setup.js';

/** The run's history: what the run folder shows and a checkpoint restores. */
export interface RunHistory {
  records: EpochRecord[];
  grids: GridImage[];
  baseline: DirectionMetrics[];
  ledger: LedgerEntry[];
  /** Per round and client: items, steps, mean losses, epsilon. */
  clients: ClientRecord[];
  startedAt: string;
}

export interface RunResult {
  runDir: string;
  history: RunHistory;
  /** The last round's metrics, a -> b then b -> a. */
  final: DirectionMetrics[];
}

export interface RunOptions {
  /** Continue from the folder's last checkpoint. */
  resume?: boolean;
  /** A line shown to the person watching (above the progress line). */
  log?: (line: string) => void;
  /** Stop after this many rounds of this invocation (tests use it to simulate a crash). */
  stopAfterRounds?: number;
  /** Facts for the report (the backend in use, ...). */
  notes?: string[];
  /** The progress line; null for none (tests). */
  progress?: Progress | null;
  /** Where the clients train (cli/train/placement.ts); default in turn, in this thread. */
  placement?: Placement;
}

export async function runTraining(config: TrainConfig, runDir: string, options: RunOptions = {}): Promise<RunResult> {
  const progress = options.progress === null ? null : (options.progress ?? new Progress());
  const log = options.log ?? ((line: string) => (progress ? progress.log(line) : console.log(line)));
  const setup = await buildSetup(config, { placement: options.placement, resume: options.resume });
  // A new run records its held-out subjects (config.json, checkpoints): eval and --resume then check the split they draw against them.
  if (!options.resume) config = { ...config, testSubjects: setup.testSubjects };
  try {
    // --resume continues from config.json: it is on disk before the first checkpoint, which the other run files follow.
    if (!options.resume) await writeRunFiles(runDir, { 'config.json': configJson({ ...config }) });
    for (const line of setup.summary) log(line);
    // Subjects left out are a warning (stderr), kept on record beside the run too.
    const skipped = setup.dataset.skipped.map(skippedLine);
    for (const line of skipped) console.error(`skipped ${line}`);
    if (skipped.length) await writeRunFiles(runDir, { 'skipped.json': `${JSON.stringify(skipped, null, 2)}\n` });
    return await rounds(config, runDir, setup, progress, log, { ...options, notes: [...(options.notes ?? []), setup.placement] });
  } finally {
    progress?.done();
    await Promise.all(setup.clients.map((c) => c.dispose()));
    setup.server.dispose();
  }
}

async function rounds(config: TrainConfig, runDir: string, setup: TrainingSetup, progress: Progress | null, log: (line: string) => void, options: RunOptions): Promise<RunResult> {
  const { clients, server } = setup;
  const federated = config.clients > 0;
  const unit = federated ? 'round' : 'epoch';
  const subjectShare = Math.max(...clients.map((c) => c.largestSubjectShare));
  const ledger = privacyLedger(config, subjectShare);
  let history: RunHistory = { records: [], grids: [], baseline: [], ledger: [], clients: [], startedAt: new Date().toISOString() };
  let global: Map<string, StateEntry>;
  let firstRound = 0;
  const checkpoint = options.resume ? await latestCheckpoint(runDir) : null;
  if (options.resume && !checkpoint) throw new Error(`${runDir}: no checkpoint to resume from`);
  if (checkpoint) {
    const loaded = await loadCheckpoint(checkpoint, clients);
    history = loaded.progress.history as RunHistory;
    for (const entry of history.ledger) ledger?.record(entry);
    // A client's sigma set from --epsilon is computed again on resume: a build whose search lands elsewhere would change the mechanism mid-run.
    for (const c of clients) {
      const used = ledger?.latest(c.name)?.noise;
      if (used !== undefined && used !== c.noise) throw new Error(`${checkpoint}: ${c.name} trained with sigma ${used}, but this build sets ${c.noise} for it; resume with the build that started the run`);
    }
    global = loaded.generators;
    firstRound = loaded.progress.round;
    log(`resuming after ${unit} ${firstRound} from ${path.relative(process.cwd(), checkpoint) || checkpoint}`);
    // A kill between a checkpoint and the run files it is followed by left them a round behind: the checkpoint's history is the run's.
    await writeRunFolder(runDir, config, history, ledger, options.notes ?? []);
  } else {
    global = await readNamed(server.generatorParameters()); // broadcast before round 1, so round 1 averages relatives
  }
  const stepsPerRound = clients.reduce((n, c) => n + c.stepsPerEpoch, 0) * config.localEpochs;
  const totalSteps = stepsPerRound * (config.rounds - firstRound);
  let stepsDone = 0;
  const lastRound = Math.min(config.rounds, firstRound + (options.stopAfterRounds ?? Infinity));
  for (let round = firstRound; round < lastRound; round++) {
    const started = performance.now();
    const training = federatedRound(clients, global, round, config.localEpochs, {
      concurrent: setup.concurrent,
      onStep: (s, e) => {
        stepsDone++;
        const where = federated ? `round ${round + 1}/${config.rounds} ${s.client} epoch ${e + 1}/${config.localEpochs}` : `epoch ${round + 1}/${config.rounds}`;
        const losses = Object.entries(s.losses).filter(([k]) => k === 'generator' || k === 'discriminator').map(([k, v]) => `${k[0]!.toUpperCase()} ${v.toFixed(3)}`).join(' ');
        progress?.update(stepsDone, totalSteps, `${where} step ${s.step}/${s.steps} ${losses}`, 'img', s.images);
      },
    });
    const spent = await accountWhileTraining(training, () => clients.map((c) => ledger?.record({ client: c.name, round: round + 1, steps: c.stepsPerEpoch * config.localEpochs, q: c.samplingRate, noise: c.noise, subjectShare: c.largestSubjectShare })));
    const result = await training;
    for (const [k, { client, steps, losses }] of result.clients.entries()) {
      const accounted = client.stepsPerEpoch * config.localEpochs;
      if (steps !== accounted) throw new Error(`${client.name}: ${steps} steps in round ${round + 1} where ${accounted} were accounted for`);
      // No epsilon where it is no guarantee (GS-WGAN): the ledger and the privacy line say why.
      history.clients.push({ round: round + 1, client: client.name, items: client.samples, steps, losses, epsilon: ledger?.caveat ? undefined : spent[k]?.epsilon });
    }
    global = result.global;
    writeNamed(server.generatorParameters(), global, 'global generators');
    const evaluation = await evaluate(server, setup.testItems, { source: config.source, target: config.target, batchSize: 4, modelName: `${unit} ${round + 1}'s generators` });
    if (history.baseline.length === 0) history.baseline = evaluation.baseline;
    const record: EpochRecord = {
      epoch: (round + 1) * config.localEpochs,
      ...(federated ? { round: round + 1 } : {}),
      seconds: (performance.now() - started) / 1000,
      losses: result.losses,
      metrics: evaluation.metrics,
    };
    history.records.push(record);
    history.ledger = ledger ? [...ledger.entries] : [];
    const grids: Record<string, Uint8Array> = {};
    for (const g of evaluation.grids) {
      const file = `grids/${unit}-${String(round + 1).padStart(3, '0')}-${g.direction.replace('->', '-to-')}.png`;
      grids[file] = encodePng(comparisonGrid(g.rows, { height: config.size, width: config.size }));
      // The report names the epoch; a federated run's round is worth saying too.
      const caption = `${federated ? `round ${round + 1}, ` : ''}${g.direction}, test slices ${g.testSlices.join(', ')}: input | synthesized | target`;
      history.grids.push({ path: file, epoch: record.epoch, caption });
    }
    // The round's images first (new files, named by nothing yet), then its checkpoint, then the run files that show it:
    // so metrics and report never show a round that checkpoints/latest does not hold.
    await writeRunFiles(runDir, grids);
    await saveCheckpoint(runDir, { round: round + 1, history }, server, clients, modelMetadata(config, setup.dataset.skipped.map((s) => s.id)), runSettings(config), config.keepRounds);
    await writeRunFolder(runDir, config, history, ledger, options.notes ?? []);
    log(roundLine(unit, round + 1, config.rounds, record, ledger));
  }
  return { runDir, history, final: history.records.at(-1)?.metrics ?? [] };
}

/**
 * The round's privacy accounting (seconds of PRV arithmetic) while its
 * clients train: a round's steps are known before it runs (each loader's
 * length times the local epochs), so with worker threads this thread's
 * accountant overlaps their training instead of following it. The yield
 * first lets the round post its calls to the workers.
 */
async function accountWhileTraining<T>(training: Promise<unknown>, account: () => T): Promise<T> {
  training.catch(() => {}); // a failure of training is reported where the caller awaits it, after this
  await new Promise((resolve) => setImmediate(resolve));
  return account();
}

/**
 * What `fedmed translate` and `eval` need to rebuild the model from the
 * generators file (fed/checkpoint.ts reads it back), and to rebuild
 * the run's held-out test set: the data, the split's seed and fraction, the
 * phantom's settings (the phantom is generated from them) and the test
 * subjects the split drew, which the split remade is checked against.
 */
export function modelMetadata(config: TrainConfig, skippedSubjects: string[] = []): Record<string, string> {
  const { model, width, size, source, target, identity, data, seed, testFraction, phantomSubjects, phantomSize } = config;
  const skipping = { skipBadSubjects: config.skipBadSubjects || undefined, skippedSubjects: skippedSubjects.length ? skippedSubjects : undefined };
  return metadataRecord({ model, width, size, source, target, identity, data, seed, testFraction, phantomSubjects, phantomSize, ...skipping, testSubjects: config.testSubjects });
}

/** Writes the run files (config, metrics, curves, report, clients, privacy) that show `history`; the grids' images are written with their round. */
async function writeRunFolder(
  runDir: string,
  config: TrainConfig,
  history: RunHistory,
  ledger: PrivacyLedger | null,
  notes: string[],
): Promise<void> {
  const baseline = history.baseline.map((m) => `untranslated input ${m.direction}: PSNR ${m.psnr.toFixed(2)} dB, SSIM ${m.ssim.toFixed(3)}, MAE ${m.mae.toFixed(4)}`);
  const privacy = ledger
    ? [`privacy (${config.dp}, ${sigmaWords(config, ledger)}, C ${config.clip}${config.dp === 'dp-sgd' ? ` (the generators' share of C^2 ${config.clipSplit ?? DEFAULT_GENERATOR_SHARE})` : ''}, ${samplingWords(config)}, ${soundAccountantsWords(ledger.sampling)}): ${epsilonWords(ledger)}, the largest over clients`]
    : [];
  const start = config.startFrom ? [`generators started from ${config.startFrom}, not fresh weights${ledger ? ": the epsilon covers this run's training, not what made them" : ''}`] : [];
  const files: Record<string, string | Uint8Array> = {
    ...runFiles({
      title: `fedmed ${config.clients > 0 ? `federated (${config.clients} clients)` : 'centralized'} ${config.model} ${config.source} -> ${config.target}`,
      config: { ...config },
      epochs: history.records,
      grids: history.grids,
      startedAt: history.startedAt,
      notes: [...notes, ...start, ...baseline, ...privacy],
    }),
  };
  if (config.clients > 0) {
    files['clients.json'] = JSON.stringify({ clients: history.clients }, null, 2) + '\n';
    files['clients.csv'] = clientsCsv(history.clients);
  }
  if (ledger) {
    files['privacy.json'] = JSON.stringify(ledger.toJSON(), null, 2) + '\n';
    files['privacy.csv'] = ledger.toCsv();
  }
  await writeRunFiles(runDir, files);
}

/** The noise multiplier: the run's one (noiseWords), or each client's with the epsilon it was set to spend. */
function sigmaWords(config: TrainConfig, ledger: PrivacyLedger): string {
  if (config.noise !== null) return noiseWords(config);
  const byClient = new Map(ledger.entries.map((e) => [e.client, e.noise]));
  return `sigma ${[...byClient].map(([client, noise]) => `${client} ${noise}`).join(', ')}, each set to spend epsilon ${config.epsilon} by the end`;
}

/** How the DP loader drew batches (fed/client.ts): Poisson for DP-SGD, as its accountant assumes. */
function samplingWords(config: TrainConfig): string {
  if (config.dp !== 'dp-sgd') return `shuffled batches of ${config.batch}`;
  return `Poisson sampling, expected batch ${config.batch} ${config.privacyUnit === 'subject' ? `subjects of up to ${SUBJECT_SLICES} slices` : 'slices'}`;
}

function roundLine(unit: string, round: number, rounds: number, record: EpochRecord, ledger: PrivacyLedger | null): string {
  const metrics = record.metrics.map((m) => `${m.direction} PSNR ${m.psnr.toFixed(2)} SSIM ${m.ssim.toFixed(3)}`).join(' | ');
  const eps = ledger ? ` | ${epsilonWords(ledger)}` : '';
  return `${unit} ${round}/${rounds}: ${metrics}${eps}  (${record.seconds!.toFixed(1)} s)`;
}
