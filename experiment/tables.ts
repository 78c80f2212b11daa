/**
 * From an experiment's finished cells to its tables in the paper's layout,
 * the paper's figure beside each of ours. Ours are the held-out test
 * metrics of the run folders (the last epoch or round, or the epoch a
 * column names); a failed cell has none.
 */
import { privacyEpsilon } from '../fed/dp/accountant.js';
import type { DirectionMetrics } from '../eval/records.js';
import { mainDirection, modelPairs, type DataKind, type ExperimentName, type GridContext } from './grids.js';
import {
  clientCounts, clips, discriminatorCounts, discriminatorEpochs, epsilonTable, metrics, noises, paperModels, schemes,
  table1, table2, table3, table4, table5, table6, table7, table7Epochs, type Metric, type ModelsTable,
} from './paper-tables.js';
import type { CellResult } from './runner.js';
import type { Table, TableRow } from './table.js';

type Results = ReadonlyMap<string, CellResult>;

const metricLabel: Record<Metric, string> = { mae: 'MAE', psnr: 'PSNR', ssim: 'SSIM' };
const metricDigits: Record<Metric, number> = { mae: 4, psnr: 2, ssim: 4 };
const modelLabel: Record<string, string> = { munit: 'MUNIT', unit: 'UNIT', cyclegan: 'CycleGAN', hlhgan: 'HLHGAN', hypergan: 'Hyper-GAN' };

/** 'pd:t2' -> 'PD->T2', as the metrics name directions. */
export function directionLabel(direction: string): string {
  return direction.toUpperCase().replace(':', '->');
}

function metricOf(result: CellResult | undefined, direction: string, epoch?: number): DirectionMetrics | undefined {
  const record = epoch === undefined ? result?.records.at(-1) : result?.records.find((r) => r.epoch === epoch);
  return record?.metrics.find((m) => m.direction === direction);
}

/** Our figure for `metric`; null where the cell or the epoch is missing (JSON keeps an infinite PSNR as null too). */
function ours(result: CellResult | undefined, direction: string, metric: Metric, epoch?: number): number | null {
  return metricOf(result, direction, epoch)?.[metric] ?? null;
}

function describe(results: Results, what: string): string {
  const first = results.values().next().value as CellResult | undefined;
  if (!first) return what;
  const c = first.config;
  const data = c.data === 'phantom' ? `the phantom (${c.phantomSubjects} subjects)` : c.data;
  const sizes = [...new Set([...results.values()].map((r) => r.config.size))].sort((a, b) => a - b).join(' or '); // MUNIT may need more than the scale's
  return `Ours: ${what}; ${data}, ${sizes} px, width ${c.width}, batch ${c.batch}.`;
}

function modelsTable(results: Results, paper: ModelsTable, kind: DataKind): Table {
  // A run of pair a:b scores both a->b and b->a.
  const pairOf = (direction: string) => modelPairs[kind].find((p) => [directionLabel(p), directionLabel(p.split(':').reverse().join(':'))].includes(direction))!;
  const rows: TableRow[] = [];
  for (const mode of ['centralized', 'federated'] as const) {
    for (const model of paperModels) {
      for (const metric of metrics) {
        rows.push({
          keys: [mode === 'centralized' ? 'Non-Fed.' : 'Fed.', modelLabel[model]!, metricLabel[metric]],
          digits: metricDigits[metric],
          cells: paper.directions.map((direction, i) => ({
            ours: ours(results.get(`${model}-${mode}-${pairOf(direction).replace(':', '-')}`), direction, metric),
            paper: paper[mode][model][metric][i]!,
          })),
        });
      }
    }
  }
  return {
    id: paper.table.toLowerCase().replace(' ', '-'),
    title: `${paper.table}: models on ${paper.data}, centralized (Non-Fed.) and federated (Fed.: 4 clients 0.4/0.3/0.2/0.1, DP-SGD sigma 1.07, C 1.0)`,
    note: describe(results, 'the last epoch or round of each run'),
    keyHeads: ['training', 'model', 'metric'],
    columns: [...paper.directions],
    rows,
  };
}

/** A federated grid whose rows are (row value x metric) and columns values of one setting, each cell `id(row, column)`. */
function gridTable(
  results: Results,
  direction: string,
  spec: { id: string; title: string; what: string; rowHead: string; rowValues: readonly (string | number)[]; columns: readonly (string | number)[]; columnLabel: (c: string | number) => string; cellId: (row: string | number, column: string | number) => string; paper: (row: string | number, metric: Metric) => readonly number[] },
): Table {
  return {
    id: spec.id,
    title: spec.title,
    note: describe(results, `${spec.what}, ${directionLabel(direction)}, after the last round`),
    keyHeads: [spec.rowHead, 'metric'],
    columns: spec.columns.map(spec.columnLabel),
    rows: spec.rowValues.flatMap((row) =>
      metrics.map((metric) => ({
        keys: [String(row), metricLabel[metric]],
        digits: metricDigits[metric],
        cells: spec.columns.map((column, i) => ({ ours: ours(results.get(spec.cellId(row, column)), directionLabel(direction), metric), paper: spec.paper(row, metric)[i]! })),
      })),
    ),
  };
}

/** Rows of PSNR per epoch (discriminators) or columns of it (rounds): every epoch either side has. */
function epochsOf(results: Iterable<CellResult>, paperEpochs: readonly number[]): number[] {
  const ourEpochs = [...results].flatMap((r) => r.records.map((e) => e.epoch));
  return [...new Set([...ourEpochs, ...paperEpochs])].sort((a, b) => a - b);
}

const builders: Record<ExperimentName, (results: Results, context: GridContext) => Table[]> = {
  models: (results, { kinds }) => kinds.map((kind) => modelsTable(results, kind === 'brats' ? table1 : table2, kind)),
  partitions: (results, { kinds }) => [
    gridTable(results, mainDirection[kinds[0]!], {
      id: 'table-3',
      title: 'Table 3: federated CycleGAN with DP-SGD (sigma 1.07, C 1.0) by how the data is shared',
      what: 'average, gradual and extreme shares as in the paper',
      rowHead: 'scheme',
      rowValues: schemes,
      columns: clientCounts,
      columnLabel: (k) => `${k} clients`,
      cellId: (scheme, k) => `${scheme}-${k}`,
      paper: (scheme, metric) => table3[scheme as (typeof schemes)[number]][metric],
    }),
  ],
  dp: (results, { kinds }) => [
    gridTable(results, mainDirection[kinds[0]!], {
      id: 'table-4',
      title: 'Table 4: federated CycleGAN (4 clients, gradual) by DP-SGD noise multiplier and clipping bound',
      // Under Adam a bound every unit's gradient exceeds scales signal and noise alike, and Adam's normalisation undoes the scale.
      what: "DP-SGD at each noise and clip (when every unit's gradient is clipped, as here, the clip scales signal and noise alike and Adam undoes the scale: the clip columns differ only by each run's own noise)",
      rowHead: 'noise',
      rowValues: noises,
      columns: clips,
      columnLabel: (c) => `clip ${c}`,
      cellId: (noise, clip) => `noise-${noise}-clip-${clip}`,
      paper: (noise, metric) => table4[String(noise)]![metric],
    }),
  ],
  rounds: (results, { kinds }) => {
    const kind = kinds[0]!;
    const direction = directionLabel(mainDirection[kind]);
    const epochs = epochsOf(results.values(), table7Epochs);
    const paperAt = (series: readonly number[] | null, epoch: number) => {
      const i = table7Epochs.indexOf(epoch as (typeof table7Epochs)[number]);
      return series && i >= 0 ? series[i]! : null;
    };
    // The paper's row labels are "w/o" and "w/" DP-SGD; each label is written whole.
    const rows: [string, string, readonly number[] | null][] = [
      ['centralized', 'centralized (w/o DP-SGD)', table7[kind].without],
      ['centralized-dp', 'centralized (w/ DP-SGD)', table7[kind].with],
      ['federated', 'federated (4 clients, gradual, w/o DP-SGD)', null],
      ['federated-dp', 'federated (4 clients, gradual, w/ DP-SGD)', null],
    ];
    const curve = (label: string, series: readonly number[]) => ({ name: `${label}, paper (${kind === 'ixi' ? 'IXI' : 'BraTS'})`, points: table7Epochs.map((e, i) => [e, series[i]!] as [number, number]) });
    return [{
      id: 'table-7',
      paperCurves: [curve('centralized', table7[kind].without), curve('centralized + DP-SGD', table7[kind].with)],
      title: `Table 7 and Fig. 4: test PSNR (dB) of ${direction} after each epoch (a federated round counts its local epochs)`,
      note: describe(results, `${direction}; the paper printed only the centralized rows`),
      keyHeads: ['training'],
      columns: epochs.map(String),
      rows: rows.map(([id, label, paper]) => ({
        keys: [label],
        digits: 2,
        cells: epochs.map((epoch) => ({ ours: ours(results.get(id), direction, 'psnr', epoch), paper: paperAt(paper, epoch) })),
      })),
    }];
  },
  discriminators: (results, { kinds }) =>
    kinds.map((kind) => {
      const direction = mainDirection[kind];
      const paper = kind === 'ixi' ? table5 : table6;
      const cellsOf = discriminatorCounts.map((d) => results.get(`d${d}-${direction.replace(':', '-')}`));
      const epochs = epochsOf(cellsOf.filter((r) => r !== undefined), discriminatorEpochs);
      return {
        id: kind === 'ixi' ? 'table-5' : 'table-6',
        title: `${kind === 'ixi' ? 'Table 5' : 'Table 6'}: centralized CycleGAN with D discriminators per domain (logits averaged), test PSNR (dB) of ${directionLabel(direction)} by epoch`,
        note: describe(results, `${directionLabel(direction)}`),
        keyHeads: ['epoch'],
        columns: discriminatorCounts.map((d) => `D=${d}`),
        paperCurves: discriminatorCounts.map((d, j) => ({ name: `D=${d} ${directionLabel(direction)}, paper`, points: discriminatorEpochs.map((e, i) => [e, paper[i]![j]!] as [number, number]) })),
        rows: epochs.map((epoch) => {
          const i = discriminatorEpochs.indexOf(epoch as (typeof discriminatorEpochs)[number]);
          return {
            keys: [String(epoch)],
            digits: 2,
            cells: cellsOf.map((r, j) => ({ ours: ours(r, directionLabel(direction), 'psnr', epoch), paper: i >= 0 ? paper[i]![j]! : null })),
          };
        }),
      };
    }),
  epsilon: (results, { kinds }) => {
    const direction = directionLabel(mainDirection[kinds[0]!]);
    const rows: TableRow[] = noises.flatMap((noise) => {
      const paper = epsilonTable[String(noise)]!;
      const cell = (k: number) => results.get(`noise-${noise}-clients-${k}`);
      return [
        { keys: [String(noise), 'epsilon, our run'], digits: 2, rounding: 'up', cells: clientCounts.map((k, i) => ({ ours: cell(k)?.epsilon ?? null, paper: paper.epsilon[i]! })) },
        {
          keys: [String(noise), "epsilon, the paper's accounting"],
          digits: 2,
          rounding: 'up',
          cells: clientCounts.map((k, i) => ({ ours: privacyEpsilon({ noise, q: 1 / k, steps: 240, delta: 1e-5, sampling: 'without-replacement' }).epsilon, paper: paper.epsilon[i]! })),
        },
        { keys: [String(noise), 'PSNR'], digits: 2, cells: clientCounts.map((k, i) => ({ ours: ours(cell(k), direction, 'psnr'), paper: paper.psnr[i]! })) },
      ];
    });
    return [{
      id: 'table-epsilon',
      title: 'The privacy budget (section 6.2.8): epsilon at delta 1e-5 and test PSNR of federated CycleGAN with DP-SGD (gradual shares, C 1.0)',
      note: describe(results, `${direction}; "our run" is the largest epsilon over clients by fedmed's ledger (Poisson sampling, the tighter of RDP and PRV), per slice; "the paper's accounting" is RDP for sampling without replacement at q = 1/clients over 240 steps, which gives the paper's figures`),
      keyHeads: ['noise', 'figure'],
      columns: clientCounts.map((k) => `${k} clients`),
      rows,
    }];
  },
};

/** The experiment's tables from its cells' results; a failed cell shows '-' (what it finished before failing is no result of the cell's settings). */
export function experimentTables(name: ExperimentName, results: readonly CellResult[], context: GridContext): Table[] {
  return builders[name](new Map(results.filter((r) => r.action !== 'failed').map((r) => [r.cell.id, r])), context);
}
