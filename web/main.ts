/**
 * The page (web/index.html): picks a backend, trains the tiny federated
 * CycleGAN of web/demo.ts on the phantom, and shows progress, the test
 * metrics of every round against the untranslated input, the loss per step
 * and the latest comparison grids; the demo's generators can be downloaded
 * or used by the "Translate your own scan" card (web/scan-card.ts).
 * URL parameters preset the form (?backend=js&rounds=2&width=4) and `run`
 * starts at once; `window.fedmedPage` says where the page is, for tests.
 */
import { engine, eval as evaluation } from '../browser.js';
import { startBackend } from './backend.js';
import { demoDefaults, runDemo, type DemoRound } from './demo.js';
import { EngineJobs } from './engine-jobs.js';
import { ScanCard, type ScanState } from './scan-card.js';

type DirectionMetrics = evaluation.DirectionMetrics;

export interface PageState {
  state: 'idle' | 'running' | 'done' | 'failed';
  backend?: string;
  rounds: { round: number; psnr: number[]; ssim: number[]; losses: Record<string, number> }[];
  /** PSNR of the untranslated input per direction (what the rounds must beat). */
  baseline?: number[];
  /** Wall time of the whole demo, seconds. */
  seconds?: number;
  error?: string;
  scan: ScanState;
}

declare global {
  interface Window {
    fedmedPage: PageState;
  }
}

/** The element with this id; a missing one is a bug in index.html. */
function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found as T;
}

const ui = {
  form: element<HTMLFormElement>('settings'),
  backend: element<HTMLSelectElement>('backend'),
  rounds: element<HTMLInputElement>('rounds'),
  width: element<HTMLInputElement>('width'),
  run: element<HTMLButtonElement>('run'),
  backendLine: element('backend-line'),
  progress: element<HTMLProgressElement>('progress'),
  status: element('status'),
  error: element('error'),
  table: element<HTMLTableElement>('rounds-table'),
  lossChart: element<HTMLImageElement>('loss-chart'),
  lossEmpty: element('loss-empty'),
  gridTitle: element('grid-title'),
  grids: element('grids'),
  psnrChart: element<HTMLImageElement>('psnr-chart'),
  downloadGenerators: element<HTMLAnchorElement>('download-generators'),
};

const jobs = new EngineJobs();

const scanCard = new ScanCard(
  {
    card: element('scan-card'),
    scanFile: element<HTMLInputElement>('scan-file'),
    checkpointFile: element<HTMLInputElement>('checkpoint-file'),
    useDemo: element<HTMLButtonElement>('use-demo'),
    direction: element<HTMLSelectElement>('direction'),
    directionWarning: element('direction-warning'),
    translate: element<HTMLButtonElement>('translate'),
    progress: element<HTMLProgressElement>('scan-progress'),
    status: element('scan-status'),
    error: element('scan-error'),
    inputView: element<HTMLCanvasElement>('view-input'),
    outputView: element<HTMLCanvasElement>('view-output'),
    inputCaption: element('caption-input'),
    outputCaption: element('caption-output'),
    download: element<HTMLAnchorElement>('download-scan'),
  },
  () => ui.backend.value as engine.BackendChoice,
  jobs,
);
// While a job runs, neither a backend choice nor the demo may start: both would switch the backend under it.
jobs.listen((running) => {
  ui.backend.disabled = running !== null;
  ui.run.disabled = running !== null;
});

window.fedmedPage = { state: 'idle', rounds: [], scan: scanCard.state };
ui.rounds.value = String(demoDefaults.rounds);
ui.width.value = String(demoDefaults.width);

const fixed = (digits: number) => (v: number) => evaluation.formatScore(v, digits); // inf for an exact PSNR, as the CLI and report.html write it
const psnrText = fixed(2);
const ssimText = fixed(3);
const lossText = fixed(3);

function presetFromUrl(): boolean {
  const query = new URLSearchParams(location.search);
  const backend = query.get('backend');
  if (backend && [...ui.backend.options].some((o) => o.value === backend)) ui.backend.value = backend;
  for (const key of ['rounds', 'width'] as const) {
    const value = query.get(key);
    if (value) ui[key].value = value;
  }
  return query.has('run');
}

/** A whole number from an input, clamped to its min and max. */
function intFrom(input: HTMLInputElement): number {
  const value = Math.round(Number(input.value));
  return Math.min(Number(input.max), Math.max(Number(input.min), Number.isFinite(value) ? value : Number(input.min)));
}

/** A table row of text cells, the first spanning `firstSpan` columns. */
function row(cells: readonly string[], firstSpan = 1): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const text of cells) {
    const cell = document.createElement('td');
    cell.textContent = text;
    tr.append(cell);
  }
  tr.cells[0]!.colSpan = firstSpan;
  return tr;
}

/** PNG bytes as a data: URL. */
function pngUrl(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(binary)}`;
}

function metricCells(metrics: readonly DirectionMetrics[]): string[] {
  return metrics.flatMap((m) => [psnrText(m.psnr), ssimText(m.ssim)]);
}

/** Generator and discriminator loss per step, one line each, as an SVG image. */
function drawLosses(points: { generator: [number, number][]; discriminator: [number, number][] }): void {
  const svg = evaluation.lineChart({
    title: 'loss per step (mean over the batch)',
    xLabel: 'step',
    yLabel: 'loss',
    integerX: true,
    width: 560,
    height: 300,
    series: [
      { name: 'generator / 10', points: points.generator.map(([x, y]) => [x, y / 10] as [number, number]) },
      { name: 'discriminator', points: points.discriminator },
    ],
  });
  ui.lossChart.src = svgUrl(svg);
  ui.lossChart.hidden = false;
  ui.lossEmpty.hidden = true;
}

const svgUrl = (svg: string) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

/** Test PSNR per round (0: untrained) in each direction, solid, against the untranslated input's, dashed. */
function drawPsnr(curves: DirectionMetrics[][], baseline: readonly DirectionMetrics[], rounds: number): void {
  const series = baseline.flatMap((b, i) => {
    const color = evaluation.PALETTE[i % evaluation.PALETTE.length]!;
    const label = b.direction.replace('->', ' → ');
    return [
      { name: label, color, points: curves.map((metrics, round) => [round, metrics[i]!.psnr] as [number, number]) },
      { name: `${label}: the input itself`, color, dashed: true, points: [[0, b.psnr], [rounds, b.psnr]] as [number, number][] },
    ];
  });
  ui.psnrChart.src = svgUrl(evaluation.lineChart({ title: 'test PSNR per round (higher is better)', xLabel: 'round', yLabel: 'PSNR (dB)', integerX: true, width: 560, height: 300, series }));
  ui.psnrChart.hidden = false;
}

function showGrids(round: DemoRound): void {
  ui.gridTitle.textContent = `Translations after round ${round.round}`;
  ui.grids.replaceChildren(
    ...round.grids.map((grid) => {
      const figure = document.createElement('figure');
      const image = document.createElement('img');
      image.src = pngUrl(grid.png);
      image.alt = `${grid.direction}: input, synthesized, target`;
      const caption = document.createElement('figcaption');
      caption.textContent = `${grid.direction.replace('->', ' → ')}: input | synthesized | target`;
      figure.append(image, caption);
      return figure;
    }),
  );
}

function resetResults(): void {
  ui.table.tBodies[0]!.replaceChildren();
  ui.table.tFoot!.replaceChildren();
  ui.lossChart.hidden = true;
  ui.lossEmpty.hidden = false;
  ui.error.hidden = true;
  ui.progress.value = 0;
  ui.psnrChart.hidden = true;
  ui.downloadGenerators.hidden = true;
}

/** The demo as the page's one engine job; a click while another job runs is refused (its button is disabled then). */
function train(): Promise<void> {
  return jobs.run('the training', trainDemo).catch((e: unknown) => console.error(e));
}

async function trainDemo(): Promise<void> {
  const page: PageState = (window.fedmedPage = { state: 'running', rounds: [], scan: scanCard.state });
  resetResults();
  const settings = { ...demoDefaults, rounds: intFrom(ui.rounds), width: intFrom(ui.width) };
  const started = performance.now();
  const losses = { generator: [] as [number, number][], discriminator: [] as [number, number][] };
  const curves: DirectionMetrics[][] = [];
  let baseline: DirectionMetrics[] = [];
  try {
    ui.status.textContent = 'starting the backend…';
    const backend = await startBackend(ui.backend.value as engine.BackendChoice);
    page.backend = backend.name;
    ui.backendLine.textContent = `backend: ${backend.line}`;
    ui.table.querySelector('#head-a2b')!.textContent = `${settings.source}→${settings.target}`;
    ui.table.querySelector('#head-b2a')!.textContent = `${settings.target}→${settings.source}`;

    const result = await runDemo(settings, {
      stage: (line) => (ui.status.textContent = line),
      baseline: (input, untrained) => {
        [baseline, page.baseline] = [input, input.map((m) => m.psnr)];
        curves.push(untrained);
        ui.table.tFoot!.append(row(['untranslated input (the baseline to beat)', ...metricCells(input)], 4));
        drawPsnr(curves, baseline, settings.rounds);
      },
      step: (done, total, round, event) => {
        ui.progress.max = total;
        ui.progress.value = done;
        losses.generator.push([done, event.losses.generator!]);
        losses.discriminator.push([done, event.losses.discriminator!]);
        ui.status.textContent =
          `round ${round}/${settings.rounds} · ${event.client} · step ${event.step}/${event.steps} · ` +
          `G ${lossText(event.losses.generator!)} · D ${lossText(event.losses.discriminator!)}`;
        drawLosses(losses);
      },
      round: (r) => {
        const { generator = NaN, discriminator = NaN } = r.losses;
        ui.table.tBodies[0]!.append(row([String(r.round), r.seconds.toFixed(1), lossText(generator), lossText(discriminator), ...metricCells(r.metrics)]));
        page.rounds.push({ round: r.round, psnr: r.metrics.map((m) => m.psnr), ssim: r.metrics.map((m) => m.ssim), losses: r.losses });
        curves.push(r.metrics);
        drawPsnr(curves, baseline, settings.rounds);
        showGrids(r);
      },
    });
    page.seconds = (performance.now() - started) / 1000;
    const last = result.rounds.at(-1)!.metrics;
    const verdict = last.every((m, i) => m.psnr > result.baseline[i]!.psnr) ? 'above the untranslated input in both directions' : 'not yet above the untranslated input: try more rounds';
    ui.status.textContent = `done: ${settings.rounds} round${settings.rounds === 1 ? '' : 's'} in ${page.seconds.toFixed(1)} s, ${result.testSlices} test slices; ${verdict}`;
    offerGenerators(result.checkpoint);
    page.state = 'done';
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    ui.error.textContent = `${error.name}: ${error.message}`;
    ui.error.hidden = false;
    ui.status.textContent = 'stopped by an error';
    page.state = 'failed';
    page.error = error.message;
    console.error(error);
  }
}

/** The demo's final generators: a download, and the scan card's checkpoint if wanted. */
function offerGenerators(bytes: Uint8Array): void {
  URL.revokeObjectURL(ui.downloadGenerators.href);
  ui.downloadGenerators.href = URL.createObjectURL(new Blob([bytes.slice()], { type: 'application/octet-stream' }));
  ui.downloadGenerators.download = 'generators.safetensors';
  ui.downloadGenerators.hidden = false;
  scanCard.offerDemoCheckpoint(bytes);
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void train();
});
if (presetFromUrl()) void train();
