/**
 * The browser test page (web/test.html), driven by tests/web/browser.test.ts:
 * on every backend this browser offers, runs the engine checks (web/checks.ts)
 * and a tiny federated CycleGAN round (web/demo.ts), compares each with the
 * js backend's results, and reports on `window.fedmedBrowserTest`. The page
 * judges closeness; the Node test asserts on the report.
 */
import { autoReason, backendNames, BackendUnavailableError, memory, setBackend, tidy, type BackendName, type Tensor } from '../engine/index.js';
import { closeness, RTOL } from '../eval/closeness.js';
import { engineChecks } from './checks.js';
import { demoDefaults, runDemo, type DemoResult, type DemoSettings } from './demo.js';

export interface BackendReport {
  name: BackendName;
  available: boolean;
  /** The backend's own description, or why it is unavailable. */
  detail: string;
}

export interface ComparisonReport {
  backend: BackendName;
  check: string;
  /** Largest |actual - expected| / max(|expected|, rms) over each set of compared values (eval/closeness.ts); 0 on js itself. */
  worst: number;
  tolerance: number;
  ok: boolean;
  /** Where the worst value is, or what went wrong. */
  detail: string;
  /** Tensors left alive by the check (0 when memory is handled). */
  leaked: number;
  ms: number;
}

export interface BrowserTestReport {
  done: boolean;
  error?: string;
  crossOriginIsolated: boolean;
  backends: BackendReport[];
  /** What setBackend('auto') picked, and why. */
  auto?: { name: BackendName; reason: string };
  comparisons: ComparisonReport[];
}

declare global {
  interface Window {
    fedmedBrowserTest: BrowserTestReport;
  }
}

/** Ops agree with js as in the Node parity tests (the same rule and tolerance); a training round compounds rounding through Adam. */
const opTolerance = RTOL;
const demoTolerance = 1e-3;

/** One federated round of 2 clients x 2 items at width 2: every layer of the stack, in seconds even on a software GPU. */
const demoSettings: DemoSettings = { ...demoDefaults, subjects: 5, phantomSize: 32, size: 32, width: 2, rounds: 1, itemsPerClient: 2, batch: 2 };

type Values = Record<string, Float32Array>;

/** New references to the tensors' storage, which outlive tidy() even where the originals (a leaf's grad) do not. */
function aliases(tensors: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.alias()]));
}

async function readAll(tensors: Record<string, Tensor>): Promise<Values> {
  const out: Values = {};
  for (const [name, t] of Object.entries(tensors)) {
    out[name] = await t.data();
    t.dispose();
  }
  return out;
}

/** The demo's numbers worth comparing: losses and metrics of every round, and the baseline. */
function demoValues(result: DemoResult): Values {
  const out: Values = {};
  for (const r of result.rounds) {
    out[`round ${r.round} losses`] = Float32Array.from(Object.keys(r.losses).sort(), (k) => r.losses[k]!);
    for (const m of r.metrics) out[`round ${r.round} ${m.direction}`] = Float32Array.of(m.mae, m.psnr, m.ssim, m.ssimGaussian, m.ssimGlobal);
  }
  for (const m of result.baseline) out[`baseline ${m.direction}`] = Float32Array.of(m.psnr, m.ssim);
  return out;
}

/** The worst difference under the oracle rule over every named set, and where, or an error line when the sets do not match. */
function compare(actual: Values, expected: Values): { worst: number; detail: string } {
  const names = Object.keys(expected);
  if (Object.keys(actual).join() !== names.join()) return { worst: Infinity, detail: `results [${Object.keys(actual)}], expected [${names}]` };
  let worst = 0;
  let detail = 'equal';
  for (const name of names) {
    const a = actual[name]!;
    const e = expected[name]!;
    if (a.length !== e.length) return { worst: Infinity, detail: `${name}: ${a.length} values, expected ${e.length}` };
    const set = closeness(a, e);
    if (set.worst > worst) [worst, detail] = [set.worst, `${name}[${set.index}]: ${a[set.index]} vs ${e[set.index]}`];
  }
  return { worst, detail };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; leaked: number }> {
  const tensorsBefore = memory().tensors;
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started, leaked: memory().tensors - tensorsBefore };
}

async function main(report: BrowserTestReport): Promise<void> {
  const jobs = [
    ...engineChecks.map((check) => ({ name: check.name, tolerance: opTolerance, run: () => readAll(tidy(() => aliases(check.run()))) })),
    { name: 'federated CycleGAN round (phantom, 2 clients, FedAvg, evaluation)', tolerance: demoTolerance, run: async () => demoValues(await runDemo(demoSettings)) },
  ];
  const expected = new Map<string, Values>();
  const order: BackendName[] = ['js', ...backendNames.filter((n) => n !== 'js')]; // js first: the others compare with it
  for (const name of order) {
    try {
      const backend = await setBackend(name);
      report.backends.push({ name, available: true, detail: backend.describe() });
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      report.backends.push({ name, available: false, detail: e.message });
      continue;
    }
    for (const job of jobs) {
      const row: ComparisonReport = { backend: name, check: job.name, worst: 0, tolerance: job.tolerance, ok: false, detail: '', leaked: 0, ms: 0 };
      try {
        const { value, ms, leaked } = await timed(job.run);
        Object.assign(row, { ms, leaked });
        if (name === 'js') {
          expected.set(job.name, value);
          Object.assign(row, { ok: leaked === 0, detail: 'the reference' });
        } else {
          const { worst, detail } = compare(value, expected.get(job.name)!);
          Object.assign(row, { worst, detail, ok: worst <= job.tolerance && leaked === 0 });
        }
      } catch (e) {
        row.detail = `threw ${(e as Error).name}: ${(e as Error).message}`;
      }
      report.comparisons.push(row);
      console.log(`${name} ${job.name}: ${row.ok ? 'ok' : 'FAILED'} (worst ${row.worst.toExponential(2)}, ${row.detail}, ${row.ms.toFixed(0)} ms)`);
    }
  }
  report.auto = { name: (await setBackend('auto')).name, reason: autoReason() };
}

const report: BrowserTestReport = (window.fedmedBrowserTest = { done: false, crossOriginIsolated: self.crossOriginIsolated, backends: [], comparisons: [] });
main(report)
  .catch((e: unknown) => (report.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e)))
  .finally(() => {
    report.done = true;
    document.body.textContent = JSON.stringify(report, null, 2);
  });
