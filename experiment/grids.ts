/**
 * The paper's experiments as grids of training runs ("cells"). A cell is
 * the train flags that make it, beyond its scale's; its id names its run
 * folder. Which tables a grid fills is experiment/tables.ts's business.
 */
import { modelNames } from '../models/index.js';
import { clientCounts, clips, discriminatorCounts, noises, paperModels, schemes, type PaperModel } from './paper-tables.js';
import { centralizedArgs, dpArgs, federatedArgs, type Scale } from './scales.js';

export const experimentNames = ['models', 'partitions', 'dp', 'rounds', 'discriminators', 'epsilon'] as const;
export type ExperimentName = (typeof experimentNames)[number];

/** The paper's two data sets: IXI (T1, T2, PD) and BraTS2021 (T1, T2, FLAIR, T1ce). */
export type DataKind = 'ixi' | 'brats';

export interface Cell {
  /** Its run folder's name inside the experiment's folder. */
  id: string;
  /** The `fedmed train` flags that make it, beyond the scale's. */
  args: string[];
}

export interface GridContext {
  scale: Scale;
  /** The data's kinds: the phantom has every contrast, so it stands in for both. */
  kinds: readonly DataKind[];
}

export interface Experiment {
  name: ExperimentName;
  /** One line for --help: what it runs and which of the paper's tables it fills. */
  summary: string;
  cells(context: GridContext): Cell[];
  /** Cells whose latent-space figure (the paper's Fig. 5) the end draws, with the paper's panel letter. */
  latentFigures?: Readonly<Record<string, string>>;
}

/** The direction each data set's single-direction tables use (Table 7's rows: IXI PD->T2, BraTS T1->FLAIR). */
export const mainDirection: Record<DataKind, string> = { ixi: 'pd:t2', brats: 't1:flair' };

/** Tables 1-2 train each unordered pair once: a run scores both directions. */
export const modelPairs: Record<DataKind, readonly string[]> = { ixi: ['pd:t2'], brats: ['t1:t2', 't1:flair', 't2:flair'] };

/** The paper's models that fedmed has (it may lack some while they are being built). */
export function availableModels(): PaperModel[] {
  return paperModels.filter((m) => (modelNames as readonly string[]).includes(m));
}

/** MUNIT's third scale sees a quarter of the side, so it needs 64 px: the tiny scale's 32 is raised for it alone. */
function modelSize(model: PaperModel, scale: Scale): string[] {
  return model === 'munit' && scale.size < 64 ? ['--size', '64'] : [];
}

const folderName = (direction: string) => direction.replace(':', '-');

/** Keeps the checkpoint halfway through a run of `rounds` rounds (epochs, when centralized) besides the last. */
const keepMiddle = (rounds: number) => ['--keep-rounds', String(Math.ceil(rounds / 2))];

/** The federated cell of Tables 3, 4 and the epsilon table: FedMed-GAN, federated with DP-SGD. */
function fedmedGan(scale: Scale, clients: number, scheme: string, noise?: number, clip?: number): string[] {
  return [...federatedArgs(scale, clients, scheme), ...dpArgs(noise, clip)];
}

export const experiments: Record<ExperimentName, Experiment> = {
  models: {
    name: 'models',
    summary: 'Tables 1-2: each model centralized and federated (4 clients, gradual, DP-SGD), every direction',
    cells: ({ scale, kinds }) =>
      kinds.flatMap((kind) =>
        modelPairs[kind]!.flatMap((pair) =>
          availableModels().flatMap((model) => {
            const what = ['--model', model, '--direction', pair, ...modelSize(model, scale)];
            return [
              { id: `${model}-centralized-${folderName(pair)}`, args: [...what, ...centralizedArgs(scale)] },
              { id: `${model}-federated-${folderName(pair)}`, args: [...what, ...fedmedGan(scale, 4, 'gradual')] },
            ];
          }),
        ),
      ),
  },
  partitions: {
    name: 'partitions',
    summary: 'Table 3: federated CycleGAN with DP-SGD, average / gradual / extreme shares x 2, 4, 8 clients',
    cells: ({ scale, kinds }) =>
      schemes.flatMap((scheme) =>
        clientCounts.map((k) => ({ id: `${scheme}-${k}`, args: ['--direction', mainDirection[kinds[0]!], ...fedmedGan(scale, k, scheme)] })),
      ),
  },
  dp: {
    name: 'dp',
    summary: 'Table 4: federated CycleGAN (4 clients, gradual), DP-SGD noise 0.5 / 1.07 / 2.0 x clip 0.7 / 1.0 / 1.3',
    cells: ({ scale, kinds }) =>
      noises.flatMap((noise) =>
        clips.map((clip) => ({ id: `noise-${noise}-clip-${clip}`, args: ['--direction', mainDirection[kinds[0]!], ...fedmedGan(scale, 4, 'gradual', noise, clip)] })),
      ),
  },
  rounds: {
    name: 'rounds',
    summary: 'Fig. 4, Table 7, Fig. 5: PSNR after every epoch or round and the latent space; centralized, centralized + DP, federated, federated + DP',
    cells: ({ scale, kinds }) => {
      const direction = ['--direction', mainDirection[kinds[0]!]];
      // Fig. 5 follows the latent space from the middle of training to its end (the paper: rounds 5 and 10), so the middle checkpoint is kept.
      const central = [...direction, ...centralizedArgs(scale), ...keepMiddle(scale.rounds * scale.localEpochs)];
      const federated = [...direction, ...keepMiddle(scale.rounds)];
      return [
        { id: 'centralized', args: central },
        { id: 'centralized-dp', args: [...central, ...dpArgs()] },
        { id: 'federated', args: [...federated, ...federatedArgs(scale, 4, 'gradual')] },
        { id: 'federated-dp', args: [...federated, ...fedmedGan(scale, 4, 'gradual')] },
      ];
    },
    latentFigures: { centralized: '(a)', 'centralized-dp': '(b)', federated: '(c)', 'federated-dp': '(d)' },
  },
  discriminators: {
    name: 'discriminators',
    summary: "Tables 5-6: centralized CycleGAN with D = 2, 4, 8 discriminators per domain, logits averaged (the paper's ablation)",
    cells: ({ scale, kinds }) =>
      kinds.flatMap((kind) =>
        discriminatorCounts.map((d) => ({
          id: `d${d}-${folderName(mainDirection[kind])}`,
          args: ['--direction', mainDirection[kind], '--discriminators', String(d), ...centralizedArgs(scale)],
        })),
      ),
  },
  epsilon: {
    name: 'epsilon',
    summary: "the privacy-budget table: epsilon and PSNR of federated CycleGAN with DP-SGD, noise 0.5 / 1.07 / 2.0 x 2, 4, 8 clients",
    cells: ({ scale, kinds }) =>
      noises.flatMap((noise) =>
        clientCounts.map((k) => ({ id: `noise-${noise}-clients-${k}`, args: ['--direction', mainDirection[kinds[0]!], ...fedmedGan(scale, k, 'gradual', noise)] })),
      ),
  },
};
