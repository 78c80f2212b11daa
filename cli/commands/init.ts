/**
 * fedmed init: the generators a federation starts from, as the simulation's
 * server initialises them, written as a generators.safetensors with the
 * metadata that `fedmed eval` and `translate` read. A Flower ServerApp
 * (examples/flower) sends them in its first round and saves its result in
 * the same form.
 */
import { encodeSafetensors, setBackend } from '../../engine/index.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { readNamed } from '../../fed/state.js';
import { createModel } from '../../models/index.js';
import { parseFlags, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { prepareOutFile } from '../out-file.js';
import { resolveTrainConfig, trainFlags } from '../train/config.js';
import { modelMetadata } from '../train/run.js';
import { modelOptions } from '../train/setup.js';

/** What decides the model and the run's held-out subjects (recorded for eval). */
const modelFlagNames = ['model', 'direction', 'size', 'width', 'identity', 'seed', 'data', 'subjects', 'phantom-size', 'test-fraction'] as const;

export const initCommand: Command = {
  name: 'init',
  summary: 'write the generators a federation starts from (for a Flower ServerApp)',
  usage: [
    'usage: fedmed init --out FILE [--model M] [--direction SRC:DST] [--width N] [--size N] [--seed N]',
    '',
    "Initialises the model as `fedmed train` initialises its server (the same seed gives the same",
    'weights) and writes its generators, named as in PyTorch, to a .safetensors file whose metadata',
    'records the model settings and the data split, so that `fedmed eval` and `translate` can read',
    "a federation's result saved in the same form. The nodes must be started with the same settings.",
  ].join('\n'),
  flags: {
    ...Object.fromEntries(modelFlagNames.map((name) => [name, trainFlags[name]])),
    out: { type: 'string', help: 'the .safetensors file to write', placeholder: 'FILE' },
    force: { type: 'boolean', help: 'replace --out if it exists' },
  } as FlagSpecs,
  async run(flags, _positionals, given) {
    const out = flags.out;
    if (typeof out !== 'string') throw new UsageError('fedmed init needs --out FILE; see fedmed init --help');
    if (!/\.safetensors$/.test(out)) throw new UsageError(`--out ${out}: name it .safetensors`);
    await prepareOutFile(out, flags.force === true);
    const config = await resolveTrainConfig({ ...parseFlags([], trainFlags).flags, ...flags, backend: 'js' }, given);
    await setBackend('js'); // initialisation is seeded host work; no kernels run
    const model = createModel(config.model, modelOptions(config, config.seed));
    try {
      const generators = await readNamed(model.generatorParameters());
      await writeFileAtomic(out, encodeSafetensors(generators, { ...modelMetadata(config), round: '0' }));
      console.log(`${out}: ${config.model} generators, ${generators.size} tensors, ${[...generators.values()].reduce((n, e) => n + e.values.length, 0)} parameters (${config.source} <-> ${config.target}, width ${config.width}, ${config.size} px, seed ${config.seed})`);
    } finally {
      model.dispose();
    }
  },
};
