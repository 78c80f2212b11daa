/**
 * The page (web/index.html): picks a backend, trains the tiny federated
 * CycleGAN of web/demo.ts on the phantom, and shows progress, the test
 * metrics of every round, the loss per step and the latest comparison grids.
 * URL parameters preset the form (?backend=js&rounds=2&width=4) and `run`
 * starts at once; `window.fedmedPage` says where the page is, for tests.
 */
import { autoReason, BackendUnavailableError, setBackend, type BackendChoice } from '../engine/index.js';
import { lineChart } from '../eval/plot.js';
import type { DirectionMetrics } from '../eval/records.js';
import { demoDefaults, runDemo, type DemoRound } from './demo.js';

export interface PageState {
  state: 'idle' | 'running' | 'done' | 'failed';
  backend?: string;
  rounds: { round: number; psnr: number[]; ssim: number[]; losses: Record<string, number> }[];
  error?: string;
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
};

window.fedmedPage = { state: 'idle', rounds: [] };

const fixed = (digits: number) => (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
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
  const svg = lineChart({
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
  ui.lossChart.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  ui.lossChart.hidden = false;
  ui.lossEmpty.hidden = true;
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
}

async function train(): Promise<void> {
  const page: PageState = (window.fedmedPage = { state: 'running', rounds: [] });
  resetResults();
  ui.run.disabled = true;
  const settings = { ...demoDefaults, rounds: intFrom(ui.rounds), width: intFrom(ui.width) };
  const started = performance.now();
  const losses = { generator: [] as [number, number][], discriminator: [] as [number, number][] };
  try {
    ui.status.textContent = 'starting the backend…';
    const choice = ui.backend.value as BackendChoice;
    const backend = await setBackend(choice).catch((e: unknown) => {
      if (e instanceof BackendUnavailableError) ui.backendLine.textContent = `backend: ${choice} is not available in this browser; choose auto or js`;
      throw e;
    });
    page.backend = backend.name;
    ui.backendLine.textContent = `backend: ${backend.name}, ${backend.describe()}${choice === 'auto' ? ` (auto: ${autoReason()})` : ''}`;
    ui.table.querySelector('#head-a2b')!.textContent = `${settings.source}→${settings.target}`;
    ui.table.querySelector('#head-b2a')!.textContent = `${settings.target}→${settings.source}`;

    const result = await runDemo(settings, {
      stage: (line) => (ui.status.textContent = line),
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
        showGrids(r);
      },
    });
    ui.table.tFoot!.append(row(['untranslated input (the baseline to beat)', ...metricCells(result.baseline)], 4));
    ui.status.textContent = `done: ${settings.rounds} round${settings.rounds === 1 ? '' : 's'} in ${((performance.now() - started) / 1000).toFixed(1)} s, ${result.testSlices} test slices`;
    page.state = 'done';
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    ui.error.textContent = `${error.name}: ${error.message}`;
    ui.error.hidden = false;
    ui.status.textContent = 'stopped by an error';
    page.state = 'failed';
    page.error = error.message;
    console.error(error);
  } finally {
    ui.run.disabled = false;
  }
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void train();
});
if (presetFromUrl()) void train();
