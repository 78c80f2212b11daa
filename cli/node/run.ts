/**
 * `fedmed node` put together: the hospital's data and client (built as the
 * simulation builds client k, so a node given `--part K/N` trains exactly as
 * the simulation's client K does), its state folder, and the SuperNode
 * transport that carries Flower's messages to it.
 */
import { setBackend } from '../../engine/index.js';
import { evaluate } from '../../eval/evaluate.js';
import type { DirectionMetrics } from '../../eval/records.js';
import { largestSubjectShare, skippedLine } from '../../data/index.js';
import { writeNamed } from '../../fed/state.js';
import { Hospital, RefusedMessage } from '../../fed/flower/hospital.js';
import { runSuperNode } from '../../fed/flower/supernode.js';
import { createModel, trainsOnEveryContrast } from '../../models/index.js';
import { parseFlags } from '../args.js';
import { backendLine } from '../backend-flags.js';
import { describeData, driftWords, evaluationItems, loadSplit, unrecordedSplitNote } from '../../data/fs/index.js';
import { DataError } from '../../data/errors.js';
import type { NodeSettings } from '../commands/node.js';
import { dpRandomnessOf, resolveTrainConfig, trainFlags, type TrainConfig } from '../train/config.js';
import { nodeStateBytes, runSettings } from '../train/run-folder.js';
import { buildClient, clientShares, modelOptions, privacyLedger, randomnessLine } from '../train/setup.js';
import { Progress } from '../progress.js';
import { handleStopSignals } from '../signals.js';
import { NodeState } from './state.js';

export async function runNode(settings: NodeSettings): Promise<void> {
  let progress = new Progress();
  const log = (line: string) => progress.log(line);
  const config = await nodeConfig(settings);
  const { part } = settings;
  const backend = await setBackend(config.backend);
  log(backendLine(backend, config.backend));
  // The state folder is checked (and refused with other settings) before any data is read.
  const state = await NodeState.open(settings.stateDir, { ...runSettings(config), part: part ? `${part.k}/${part.n}` : null }, nodeStateBytes(config), 'two client files side by side (the next is written whole before the last is removed)');

  const { dataset, train, test, drift } = await loadSplit({ ...config, everyContrast: trainsOnEveryContrast(config.model), testSubjects: state.testSubjects });
  // As a resumed run does: a node that trained on a subject it now holds out (or the reverse) would mix train and test.
  if (drift) throw new DataError(config.data, `no longer gives this node's split (${driftWords(drift)}); start it with the data it started with, or give a new --state folder`);
  if (!state.testSubjects && state.begun.length) log(`note: ${unrecordedSplitNote(config)}`);
  await state.recordTestSubjects(test.map((s) => s.id));
  // As train does: subjects left out are a warning (stderr), kept on record beside the state.
  const skipped = dataset.skipped.map(skippedLine);
  for (const line of skipped) console.error(`skipped ${line}`);
  await state.saveSkipped(skipped);
  const k = part ? part.k - 1 : 0;
  const subjects = part ? clientShares(config, train)[k]! : train;
  // A private node goes on past a non-finite loss (its units add nothing to the clipped sums): a failed round would tell the server a bit no noise covers.
  const client = buildClient(config, subjects, k, part ? `client${part.k}` : 'hospital', 'leave out');
  const evaluator = createModel(config.model, modelOptions(config, config.seed));
  try {
    await state.restore(client);
    const testItems = evaluationItems(test, config.seed);
    log(`data: ${describeData(config, dataset)}${part ? `, share ${part.k} of ${part.n}` : ''}: ${subjects.length} training subjects (${client.samples} items), ${test.length} held out (${testItems.length} slices)`);
    if (config.dp !== 'off') log(privacyLine(config, client.noise, settings));
    if (config.dp !== 'off') log(randomnessLine(dpRandomnessOf(config), `the --state folder ${settings.stateDir}`));
    if (state.rounds.length) log(`state ${settings.stateDir}: ${state.rounds.length} rounds trained before, the last server round ${state.rounds.at(-1)!.serverRound}`);
    const ledger = privacyLedger(config, largestSubjectShare(client.loader.items));
    for (const entry of state.ledger) ledger?.record(entry);
    const hospital = new Hospital({
      client,
      evaluate: async (generators) => {
        if (!settings.shareScores) throw new RefusedMessage(WITHHELD_SCORES);
        writeNamed(evaluator.generatorParameters(), generators, 'evaluate message');
        const result = await evaluate(evaluator, testItems, { source: config.source, target: config.target, batchSize: 4, gridRows: 0 });
        return { examples: testItems.length, metrics: { ...scoresByName(result.metrics, ''), ...scoresByName(result.baseline, 'input-') } };
      },
      localEpochs: config.localEpochs,
      history: state.begun,
      privacy: ledger ? { ledger, noise: client.noise, maxEpsilon: settings.maxEpsilon } : null,
      beginRound: (round, ledger) => state.beginRound(round, ledger),
      saveRound: (round) => state.saveRound(client, round),
      onStep: (done, total, where, images) => {
        if (done === 1) {
          progress.done();
          progress = new Progress(); // rate and ETA per round
        }
        progress.update(done, total, where, 'img', images);
      },
      log,
    });
    const stop = handleStopSignals({ log, windsDown: 'leaving the federation' });
    await runSuperNode({ superlink: settings.superlink, handler: (m) => hospital.handle(m), log, signal: stop.signal, pollInterval: settings.pollInterval, heartbeatInterval: settings.heartbeatInterval, retry: { giveUpAfter: settings.giveUpAfter }, rootCertificates: settings.rootCertificates ?? undefined });
    // Exit now (once no write is under way), not after a round a stop interrupted: its state is already safe.
    await stop.exitIfStopped();
    stop.dispose();
  } finally {
    progress.done();
    state.close();
    client.dispose();
    evaluator.dispose();
  }
}

/** Why a private node without --share-scores answers evaluate with an error. */
const WITHHELD_SCORES = "this hospital does not send its held-out subjects' scores: its DP guarantee does not cover them (its operator may start it with --share-scores)";

/** The node's noise, budget and what evaluate sends, in words. */
function privacyLine(config: TrainConfig, noise: number, settings: NodeSettings): string {
  const unit = config.privacyUnit;
  const planned = config.epsilon === undefined ? '' : ` (the smallest that spends epsilon ${config.epsilon} per ${unit} over ${config.rounds} rounds of ${config.localEpochs} local epochs)`;
  const budget = settings.maxEpsilon === null ? 'none (no --max-epsilon)' : `epsilon ${settings.maxEpsilon} per ${unit}, rounds past it are refused`;
  const scores = settings.shareScores ? "sent (--share-scores), outside the DP guarantee" : 'withheld, evaluate messages are refused (--share-scores sends them, outside the DP guarantee)';
  return `privacy: ${config.dp}, sigma ${noise}${planned}; budget: ${budget}; held-out scores: ${scores}`;
}

/** `pd-to-t2-psnr` and the like; `prefix` marks the untranslated input's scores. */
function scoresByName(directions: readonly DirectionMetrics[], prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of directions) {
    const direction = m.direction.replace('->', '-to-').toLowerCase();
    for (const metric of ['mae', 'psnr', 'ssim'] as const) out[`${prefix}${direction}-${metric}`] = m[metric];
  }
  return out;
}

/** The node's training settings, as `fedmed train --clients N` would read the same flags. */
async function nodeConfig(settings: NodeSettings): Promise<TrainConfig> {
  const defaults = parseFlags([], trainFlags).flags;
  return resolveTrainConfig({ ...defaults, ...settings.train, clients: settings.part?.n ?? 1 }, settings.given);
}
