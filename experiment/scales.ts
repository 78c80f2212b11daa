/**
 * How big an experiment's runs are. Every cell of an experiment gets the same
 * shape and length, so its cells compare; centralized epochs equal federated
 * rounds x local epochs, so both see the data equally often.
 */
import type { ExperimentName } from './grids.js';

export const scaleNames = ['tiny', 'cpu', 'paper'] as const;
export type ScaleName = (typeof scaleNames)[number];

export interface Scale {
  name: ScaleName;
  /** What --help says about it (the CLI adds each `lengthOf` with its cell count). */
  words: string;
  /** Slice side, network width, batch. */
  size: number;
  width: number;
  batch: number;
  /** The built-in phantom's subjects and voxels per side (ignored for a data folder). */
  subjects: number;
  phantomSize: number;
  /** Federated rounds and epochs per round; centralized runs train rounds x localEpochs epochs. */
  rounds: number;
  localEpochs: number;
  /** Experiments whose grid is too small or too big for the scale's length to fit its time, with their own. */
  lengthOf?: Partial<Record<ExperimentName, { rounds: number; localEpochs: number }>>;
}

export const scales: Record<ScaleName, Scale> = {
  tiny: {
    name: 'tiny',
    // 50 subjects: 8 clients at the gradual scheme's 5% share still get the 2 subjects unpaired items need.
    words: 'seconds per cell, for tests: 32 px, width 2, 50 small phantom subjects (4 slices each), 2 rounds x 1 epoch',
    size: 32, width: 2, batch: 4, subjects: 50, phantomSize: 16, rounds: 2, localEpochs: 1,
  },
  cpu: {
    name: 'cpu',
    words: "for a 2-core machine: 64 px, width 4, 50 phantom subjects (7 slices each), 4 rounds x 2 epochs",
    size: 64, width: 4, batch: 4, subjects: 50, phantomSize: 32, rounds: 4, localEpochs: 2,
    lengthOf: {
      // 8 epochs leave every curve still rising (bench/RESULTS.md); the stability question needs the paper's 30.
      rounds: { rounds: 10, localEpochs: 3 },
      // At 8 epochs, MUNIT's centralized cell alone took 200 s (9-58 s an epoch as the shared cores' load varied) and its federated DP round 41 s: 40 cells (on the phantom) would pass the hour.
      models: { rounds: 2, localEpochs: 2 },
    },
  },
  paper: {
    name: 'paper',
    // 250 subjects x 30 slices, 80% for training: the paper's 6000 slices.
    words: "the paper's settings: 256 px, width 64, 6000 training slices of the phantom, 10 rounds x 3 epochs (30 epochs centralized)",
    size: 256, width: 64, batch: 4, subjects: 250, phantomSize: 128, rounds: 10, localEpochs: 3,
  },
};

/** The scale as `experiment` uses it: its own length where the scale gives it one. */
export function scaleFor(scale: Scale, experiment: ExperimentName): Scale {
  return { ...scale, ...scale.lengthOf?.[experiment] };
}

/** The train flags a scale sets, for data `data` ('phantom' or a folder). */
export function scaleArgs(scale: Scale, data: string): string[] {
  const shape = ['--size', String(scale.size), '--width', String(scale.width), '--batch', String(scale.batch)];
  const phantom = data === 'phantom' ? ['--subjects', String(scale.subjects), '--phantom-size', String(scale.phantomSize)] : [];
  return ['--data', data, ...shape, ...phantom];
}

export function centralizedArgs(scale: Scale): string[] {
  return ['--epochs', String(scale.rounds * scale.localEpochs)];
}

export function federatedArgs(scale: Scale, clients: number, scheme: string): string[] {
  return ['--clients', String(clients), '--scheme', scheme, '--rounds', String(scale.rounds), '--local-epochs', String(scale.localEpochs)];
}

/** DP-SGD at noise multiplier `noise` and clipping bound `clip` (the paper's defaults: 1.07, 1.0). */
export function dpArgs(noise = 1.07, clip = 1.0): string[] {
  return ['--dp', 'dp-sgd', '--noise', String(noise), '--clip', String(clip)];
}
