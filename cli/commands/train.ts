/** fedmed train: centralized or federated (--clients K) GAN training, from flags or a JSON config. */
import path from 'node:path';
import { checkDatasetFolder } from '../../data/fs/index.js';
import { platform, setBackend } from '../../engine/index.js';
import { formatScore } from '../../eval/records.js';
import { UsageError } from '../args.js';
import { backendLine } from '../backend-flags.js';
import type { Command } from '../command.js';
import { Progress } from '../progress.js';
import { noiseWords, resolveTrainConfig, trainFlags, type TrainConfig } from '../train/config.js';
import { parseWorkers, placeClients } from '../train/placement.js';
import { prepareRunFolder, savedRunConfig } from '../train/run-folder.js';
import { runTraining } from '../train/run.js';
import { handleStopSignals } from '../signals.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a translation GAN, centralized or federated (--clients K), with optional DP',
  usage: [
    'usage: fedmed train [--config FILE] [--data DIR|phantom] [--model M] [--direction SRC:DST] [flags]',
    '       fedmed train --clients 4 --scheme gradual --dp dp-sgd ...     (federated, private)',
    '       fedmed train --resume DIR                                        (continue a run)',
    '',
    'Without --clients the whole training set is one client and the run counts epochs;',
    'with it, each round every client trains --local-epochs on its own data and the server',
    'averages the generators (FedAvg). After every round the global generators are scored on',
    'held-out subjects and the run folder (report.html, metrics, grids, checkpoints) is rewritten.',
  ].join('\n'),
  flags: trainFlags,
  async run(flags, _positionals, given) {
    let config: TrainConfig;
    let runDir: string;
    let lock: (() => void) | undefined; // --resume reads the folder under its lock
    const resume = typeof flags.resume === 'string';
    if (resume) {
      const others = [...given].filter((k) => !['resume', 'backend', 'workers', 'threads', 'verbose'].includes(k)); // how to run or show it, not what
      if (given.has('out')) throw new UsageError(`--resume ${flags.resume} continues in its own folder; drop --out`);
      if (others.length) throw new UsageError(`--resume continues with the run's own config.json; drop --${others[0]}`);
      runDir = flags.resume as string;
      ({ config, lock } = await savedRunConfig(runDir));
      if (given.has('backend')) config = { ...config, backend: flags.backend as TrainConfig['backend'] };
    } else {
      config = await resolveTrainConfig(flags, given);
      if (config.data !== 'phantom') await checkDatasetFolder(config.data); // before the run folder is made: a mistyped --data leaves none
      runDir = (flags.out as string | undefined) ?? path.join('runs', `${config.model}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
    }
    const workers = parseWorkers(flags.workers as string);
    const threads = flags.threads as number | undefined;
    const backend = await setBackend(config.backend, { threads });
    if (threads !== undefined && backend.name !== 'wasm') throw new UsageError(`--threads applies to the wasm backend only, not ${backend.name}`);
    const placement = placeClients(workers, { clients: config.clients, backend: backend.name, cores: platform().cores(), threads });
    await prepareRunFolder(runDir, config, { resume, force: flags.force === true, log: (line) => console.error(line), lock }); // its lock is held until the process exits
    const backendNote = backendLine(backend, config.backend);
    console.log(backendNote);
    const mode = config.clients > 0 ? `federated, ${config.clients} clients (${config.weights ? `weights ${config.weights.join('/')}` : config.scheme}), ${config.rounds} rounds x ${config.localEpochs} local epochs` : `centralized, ${config.rounds} epochs`;
    console.log(`${config.model} ${config.source} -> ${config.target}: ${mode}, width ${config.width}, ${config.size}px, batch ${config.batch}${config.dp === 'off' ? '' : `, DP ${config.dp} (C ${config.clip}, ${noiseWords(config)})`}`);
    console.log(`run folder: ${runDir}`);
    const progress = new Progress();
    const stop = handleStopSignals({ log: (line) => progress.warn(line) });
    const result = await runTraining(config, runDir, { resume, notes: [backendNote], progress, placement }).finally(() => stop.dispose());
    const baseline = result.history.baseline;
    console.log('');
    result.final.forEach((m, i) => {
      const b = baseline[i]!;
      console.log(`${m.direction}: PSNR ${formatScore(m.psnr, 2)} dB (input ${formatScore(b.psnr, 2)}), SSIM ${m.ssim.toFixed(3)} (input ${b.ssim.toFixed(3)}), MAE ${m.mae.toFixed(4)} (input ${b.mae.toFixed(4)})`);
    });
    console.log(`report: ${path.join(runDir, 'report.html')}`);
  },
};
