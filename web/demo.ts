/**
 * A tiny federated CycleGAN on the built-in phantom, all in memory: the run
 * the page shows (web/main.ts) and the browser test drives (web/test.ts).
 * The same steps as `fedmed train --clients K` (cli/train/run.ts) without the
 * run folder: split by subject, deal subjects to clients, FedAvg of the
 * generators each round, evaluation of the global generators on held-out
 * subjects. Browser-safe: engine, data, models, fed and eval only.
 */
import { data, engine, eval as evaluation, fed, models } from '../browser.js';
import { yieldToPage } from './yield.js';

const { evaluationItems, partitionClients, phantomDataset, splitSubjects } = data;
const { comparisonGrid, encodePng, evaluate } = evaluation;
const { encodeCheckpoint, federatedRound, readNamed, seededClient, writeNamed } = fed;
type Contrast = data.Contrast;
type Item = data.Item;
type DirectionMetrics = evaluation.DirectionMetrics;
type Client = fed.Client;
type StepEvent = fed.StepEvent;
type GanModel = models.GanModel;

export interface DemoSettings {
  /** Phantom subjects, and voxels along each side of its volumes. */
  subjects: number;
  phantomSize: number;
  /** Slice side in pixels, and the networks' first-layer channels. */
  size: number;
  width: number;
  clients: number;
  rounds: number;
  localEpochs: number;
  /** Training items (slices) each client draws from its subjects. */
  itemsPerClient: number;
  batch: number;
  /** Adam's learning rate: 2e-3 rather than the paper's 1e-4, so that a few steps show. */
  lr: number;
  seed: number;
  source: Contrast;
  target: Contrast;
}

/**
 * Sized to end well above the untranslated input in both directions (by
 * 3.6 to 7.0 dB on seeds 1, 2, 3, 5 and 11, runDemo on Node's wasm backend)
 * in a few seconds of the wasm backend on two cores: width 4 or 8 items a
 * client end below it.
 */
export const demoDefaults: DemoSettings = {
  subjects: 6,
  phantomSize: 64,
  size: 32,
  width: 8,
  clients: 2,
  rounds: 6,
  localEpochs: 1,
  itemsPerClient: 16,
  batch: 4,
  lr: 2e-3,
  seed: 3,
  source: 'PD',
  target: 'T2',
};

/** What one round produced. */
export interface DemoRound {
  /** 1-based. */
  round: number;
  seconds: number;
  /** Mean training losses over the round's steps, weighted by client samples. */
  losses: Record<string, number>;
  /** Global generators on the test slices: a -> b, then b -> a. */
  metrics: DirectionMetrics[];
  /** PNG grids (input | synthesized | target) per direction. */
  grids: { direction: string; png: Uint8Array }[];
}

export interface DemoResult {
  rounds: DemoRound[];
  /** The untranslated input scored as if it were the translation: what training must beat. */
  baseline: DirectionMetrics[];
  testSlices: number;
  /** The final global generators as a generators.safetensors, with the metadata `fedmed train` writes. */
  checkpoint: Uint8Array;
}

/** Where the run is, for a progress display. */
export interface DemoEvents {
  /** A phase starts: 'phantom', 'setup', 'evaluate' ... with a line for people. */
  stage?(line: string): void;
  /** The test set scored before training: the untranslated input and the untrained generators. */
  baseline?(baseline: DirectionMetrics[], untrained: DirectionMetrics[]): void;
  /** A training step ended; `done` of `total` steps over the whole run. */
  step?(done: number, total: number, round: number, event: StepEvent): void;
  round?(round: DemoRound): void;
}

const testFraction = 0.2;

export async function runDemo(settings: DemoSettings = demoDefaults, events: DemoEvents = {}): Promise<DemoResult> {
  const s = settings;
  events.stage?.(`rendering the phantom: ${s.subjects} subjects, ${s.phantomSize}³ voxels, ${s.source} and ${s.target}`);
  await yieldToPage();
  const dataset = phantomDataset({ subjects: s.subjects, size: s.phantomSize, seed: s.seed }, { contrasts: [s.source, s.target], size: s.size });
  const { train, test } = splitSubjects(dataset.subjects, { testFraction, seed: s.seed });
  const groups = partitionClients(train, { clients: s.clients, scheme: 'average', seed: s.seed });
  const clients = groups.map((subjects, k) =>
    seededClient(s.seed, k, `client${k + 1}`, subjects, {
      items: { count: s.itemsPerClient },
      loader: { source: s.source, target: s.target, batchSize: s.batch },
      model: (seed, noise) => models.createModel('cyclegan', { width: s.width, size: s.size, lr: s.lr, seed, noise }),
    }),
  );
  const testItems = evaluationItems(test, s.seed);
  const server = models.createModel('cyclegan', { width: s.width, size: s.size, lr: s.lr, seed: s.seed });
  events.stage?.(
    `${train.length} training subjects over ${s.clients} clients (${groups.map((g) => g.length).join(' + ')}), ` +
      `${test.length} test subject${test.length === 1 ? '' : 's'} (${testItems.length} slices of ${s.size}×${s.size})`,
  );
  try {
    return await rounds(s, clients, server, { items: testItems, subjects: test.map((t) => t.id) }, events);
  } finally {
    for (const c of clients) c.dispose();
    server.dispose();
  }
}

async function rounds(s: DemoSettings, clients: Client[], server: GanModel, heldOut: { items: Item[]; subjects: string[] }, events: DemoEvents): Promise<DemoResult> {
  const testItems = heldOut.items;
  let global: Map<string, engine.StateEntry> = await readNamed(server.generatorParameters());
  const total = clients.reduce((n, c) => n + c.loader.length, 0) * s.localEpochs * s.rounds;
  let done = 0;
  events.stage?.('scoring the untranslated input and the untrained generators');
  await yieldToPage();
  const before = await evaluate(server, testItems, { source: s.source, target: s.target, batchSize: 4 });
  events.baseline?.(before.baseline, before.metrics);
  const result: Omit<DemoResult, 'checkpoint'> = { rounds: [], baseline: before.baseline, testSlices: testItems.length };
  for (let round = 1; round <= s.rounds; round++) {
    const started = performance.now();
    const trained = await federatedRound(clients, global, round - 1, s.localEpochs, {
      onStep: (event) => events.step?.(++done, total, round, event),
      afterEpoch: yieldToPage,
    });
    global = trained.global;
    writeNamed(server.generatorParameters(), global, 'global generators');
    events.stage?.(`round ${round}: evaluating the global generators`);
    await yieldToPage();
    const scores = await evaluate(server, testItems, { source: s.source, target: s.target, batchSize: 4 });
    const record: DemoRound = {
      round,
      seconds: (performance.now() - started) / 1000,
      losses: trained.losses,
      metrics: scores.metrics,
      grids: scores.grids.map((g) => ({ direction: g.direction, png: encodePng(comparisonGrid(g.rows, { height: s.size, width: s.size })) })),
    };
    result.rounds.push(record);
    events.round?.(record);
    await yieldToPage();
  }
  const { seed, subjects: phantomSubjects, phantomSize, size, width, source, target } = s;
  const metadata = { model: 'cyclegan', width, size, source, target, identity: server.options.identity, round: s.rounds, data: 'phantom', seed, testFraction, phantomSubjects, phantomSize, testSubjects: heldOut.subjects } as const; // as a run records its split, so eval can check it
  return { ...result, checkpoint: await encodeCheckpoint(server, metadata) };
}
