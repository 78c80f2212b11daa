/**
 * fedmed translate: a checkpoint applied to a NIfTI volume, plane by plane
 * along the third axis, written as a float32 NIfTI on [0, 1] with the
 * input's header and affine. An existing --out is kept unless --force, and
 * the output is written atomically (writeNiftiFile), so a failure never
 * leaves a half-written file.
 */
import path from 'node:path';
import { contrasts, misnamedInput, parseContrast, type Contrast } from '../../data/index.js';
import type { Direction } from '../../models/index.js';
import { parsePlanes, requireString, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { backendFlag, backendLine } from '../backend-flags.js';
import { prepareOutFile } from '../out-file.js';

const niftiSuffix = /\.nii(\.gz)?$/i;

export const translateCommand: Command = {
  name: 'translate',
  summary: 'translate a NIfTI volume with a checkpoint (e.g. T1 -> synthetic T2), written as NIfTI',
  usage: [
    'usage: fedmed translate --checkpoint RUN|FILE --in IN.nii.gz --out OUT.nii.gz [--direction a2b|b2a | --pair SRC:DST] [flags]',
    '',
    'Each plane along the third axis (axial in the usual storage) is padded square, resized to',
    "the model's size, min-max scaled as training slices are, translated, and resized back.",
    "The output keeps the input's dims, header and affine; its values are float32 on [0, 1].",
    'A constant plane (blank, as outside the head) is written as 0, untranslated: the model',
    'would invent intensity there, and eval and metrics leave such planes out.',
    "a2b translates the checkpoint's source contrast into its target, b2a the reverse; the",
    "default is a2b, and an input whose file name names the target contrast needs --direction.",
    'A hypergan checkpoint translates between any two contrasts: --pair t1:pd (its run trained',
    "on the data's contrasts; the filters of any other are untrained).",
  ].join('\n'),
  flags: {
    checkpoint: { type: 'string', help: 'a run folder, a round folder or a generators.safetensors file', placeholder: 'RUN|FILE' },
    in: { type: 'string', help: 'the volume to translate (.nii or .nii.gz)', placeholder: 'FILE' },
    out: { type: 'string', help: 'the volume to write (.nii or .nii.gz)', placeholder: 'FILE' },
    direction: { type: 'string', help: "a2b: the checkpoint's source -> target; b2a: the reverse (default a2b)", choices: ['a2b', 'b2a'] },
    pair: { type: 'string', help: 'hypergan: translate SRC into DST, any two contrasts (instead of --direction)', placeholder: 'SRC:DST' },
    planes: { type: 'string', help: 'translate only planes z0 <= z < z1 (the others are written as 0)', placeholder: 'Z0:Z1' },
    batch: { type: 'int', help: 'planes per forward pass', default: 8 },
    backend: backendFlag,
    force: { type: 'boolean', help: 'replace --out if it exists' },
  },
  async run(flags, _positionals, given) {
    const [checkpointPath, input, out] = [requireString(flags, 'checkpoint', 'translate'), requireString(flags, 'in', 'translate'), requireString(flags, 'out', 'translate')];
    if (!niftiSuffix.test(out)) throw new UsageError(`--out ${out}: name it .nii or .nii.gz`);
    if (path.resolve(out) === path.resolve(input)) throw new UsageError(`--out ${out} is the input file; write the translation elsewhere`);
    if (!((flags.batch as number) >= 1)) throw new UsageError(`--batch must be at least 1, got ${flags.batch}`);
    await prepareOutFile(out, flags.force === true);

    const { readCheckpoint } = await import('../checkpoint-model.js');
    const { buildModel, describeCheckpoint } = await import('../../fed/checkpoint.js');
    const { readNiftiFile, writeNiftiFile } = await import('../../data/fs/index.js');
    const { directionContrasts, translateWithModel } = await import('../../eval/model-translate.js');
    const { volumeDims } = await import('../../data/index.js');
    const { setBackend } = await import('../../engine/index.js');
    const { Progress } = await import('../progress.js');

    const read = await readCheckpoint(checkpointPath);
    // --pair: the same hypergan weights with the asked pair as its own (a2b), since its shapes do not depend on the pair.
    const checkpoint = typeof flags.pair === 'string' ? { ...read, metadata: { ...read.metadata, ...pairOf(flags.pair, read.metadata.model, given.has('direction')) } } : read;
    const { metadata } = checkpoint;
    const direction = (flags.direction as Direction | undefined) ?? 'a2b';
    const [from, to] = directionContrasts(metadata, direction);
    if (!given.has('direction') && !given.has('pair')) checkNamedContrast(input, from, to);
    const volume = await readNiftiFile(input);
    const [nx, ny, nz] = volumeDims(volume);
    const planes = parsePlanes(flags.planes as string | undefined, nz);

    const backend = await setBackend(flags.backend as 'auto');
    console.log(`checkpoint: ${checkpoint.file} (${describeCheckpoint(metadata)})`);
    console.log(backendLine(backend, flags.backend as string));
    console.log(`${input}: ${nx}x${ny}x${nz}, translating ${from} -> ${to}, planes [${planes[0]}, ${planes[1]}) at ${metadata.size}x${metadata.size}`);
    const progress = new Progress();
    const started = performance.now();
    let values: Float32Array;
    try {
      values = await translateWithModel(volume, buildModel(checkpoint), direction, {
        planes,
        batch: flags.batch as number,
        modelName: checkpoint.file,
        onProgress: (done, total) => progress.update(done, total, `translated ${done}/${total} planes`, 'planes'),
      });
    } finally {
      progress.done();
    }
    const seconds = (performance.now() - started) / 1000;
    await writeNiftiFile(out, volume.header, values, { datatype: 'float32' });
    const count = planes[1] - planes[0];
    console.log(`wrote ${out}: ${nx}x${ny}x${nz} float32 on [0, 1] with the input's header and affine (${count} planes in ${seconds.toFixed(1)} s, ${(count / seconds).toFixed(1)} planes/s)`);
  },
};

/** --pair SRC:DST as a checkpoint's source and target; a hypergan checkpoint only, and not with --direction. */
function pairOf(text: string, model: string, withDirection: boolean): { source: Contrast; target: Contrast } {
  if (model !== 'hypergan') throw new UsageError(`--pair ${text}: only a hypergan checkpoint translates between any two contrasts; this one is ${model} (use --direction)`);
  if (withDirection) throw new UsageError(`--pair ${text} names the translation itself; leave out --direction`);
  const [src, dst, ...extra] = text.split(':');
  if (!src || !dst || extra.length) throw new UsageError(`--pair is SRC:DST such as t1:pd, got '${text}'`);
  const [source, target] = [src, dst].map((name) => {
    const c = parseContrast(name);
    if (!c) throw new UsageError(`--pair ${text}: '${name}' is not a contrast (one of ${contrasts.join(', ')})`);
    return c;
  });
  if (source === target) throw new UsageError(`--pair translates between two different contrasts, got ${source} twice`);
  return { source: source!, target: target! };
}

/**
 * When the input's file name names one contrast (IXI's `-T1`, BraTS's
 * `_t1ce`, `T2.nii.gz`) and it is not the one the direction translates
 * from, asks for an explicit --direction rather than translating the wrong way.
 */
function checkNamedContrast(file: string, from: Contrast, to: Contrast): void {
  const named = misnamedInput(file, from);
  if (named === null) return;
  const hint = named === to ? `--direction b2a translates ${to} -> ${from}` : `this checkpoint translates ${from} <-> ${to}`;
  throw new UsageError(`--in ${file}: its name says ${named}, but the translation is ${from} -> ${to} (${hint}); give --direction to go ahead`);
}
