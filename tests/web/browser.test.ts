/**
 * The engine in a real browser. Debian's chromium, headless through
 * playwright-core (never a downloaded browser), opens the pages from the
 * page's own server:
 *  - web/test.html runs every engine check forward and backward, and a tiny
 *    federated CycleGAN round, on each backend the browser offers (js always,
 *    webgpu on SwiftShader, wasm when it is built) and compares each with js;
 *  - web/index.html trains and evaluates through its own controls: a round
 *    on js, then the whole default demo (which must end above the
 *    untranslated input), its generators downloaded and used to translate a
 *    phantom NIfTI picked in the page, compared with `fedmed translate`'s
 *    output for the same checkpoint; no request leaves the page's server;
 *  - the scan card: one engine job at a time beside the demo, files refused
 *    by name, size or header before they are read whole, generators that do
 *    not fit their model refused when picked, and a volume named for another
 *    contrast warned of as fedmed translate refuses it.
 *    FEDMED_SCREENSHOTS=DIR keeps screenshots of the page after each.
 * Without chromium the suite is a visible skip, a failure when CI or
 * FEDMED_REQUIRE_BROWSER is set.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { BackendUnavailableError, decodeSafetensors, getBackend, setBackend, useBackend, type BackendName } from '../../engine/index.js';
import { installNodePlatform } from '../../platform/node.js';
import { pageFolders, startServer, type RunningServer } from '../../web/server.js';
import { engineChecks } from '../../web/checks.js';
import type { BrowserTestReport } from '../../web/test.js';
import type { PageState } from '../../web/main.js';
import { demoDefaults } from '../../web/demo.js';
import { readNiftiFile } from '../../data/fs/index.js';
import { createModel } from '../../models/index.js';
import { encodeCheckpoint } from '../../fed/checkpoint.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..'); // from dist/tests/web
const chromiumPath = process.env.FEDMED_CHROMIUM ?? '/usr/bin/chromium';
const required = Boolean(process.env.CI || process.env.FEDMED_REQUIRE_BROWSER);

/**
 * Headless chromium with WebGPU on SwiftShader (Vulkan on the CPU), kept off
 * the network. disable_workgroup_init skips Dawn's zero-fill of workgroup
 * memory, which the kernels overwrite before reading: on SwiftShader it makes
 * compiling the GEMM pipelines about 5x slower (38 s against 7 s here).
 */
const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--enable-dawn-features=disable_workgroup_init',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Whether this build's backend `name` works in Node: what runs here must run in the browser too. */
async function worksInNode(name: BackendName): Promise<boolean> {
  installNodePlatform();
  const previous = getBackend();
  try {
    await setBackend(name);
    return true;
  } catch (e) {
    if (e instanceof BackendUnavailableError) return false;
    throw e;
  } finally {
    useBackend(previous);
  }
}

const browserSuite = suite('browser');
let browser: Browser | null = null;
let server: RunningServer | null = null;
/** The suite's files: a phantom (fedmed data phantom) and what tests write. */
let scratch = '';

if (!existsSync(chromiumPath)) {
  const message = `no chromium at ${chromiumPath} (apt-get install chromium, or set FEDMED_CHROMIUM)`;
  if (required) throw new Error(`browser tests required (CI or FEDMED_REQUIRE_BROWSER), but ${message}`);
  console.log(`browser tests skipped: ${message}`);
}
const present = existsSync(chromiumPath);
const check = (name: string, fn: () => Promise<void>) => (present ? browserSuite(name, fn) : browserSuite.skip(name));

browserSuite.before(async () => {
  if (!present) return;
  const { chromium } = await import('playwright-core');
  server = await startServer({ root, served: pageFolders, port: 0 });
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  scratch = mkdtempSync(path.join(tmpdir(), 'fedmed-page-'));
  fedmed('data', 'phantom', '--out', path.join(scratch, 'phantom'), '--subjects', '2', '--size', '48');
});

browserSuite.after(async () => {
  await browser?.close();
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A phantom volume of `contrast` (48 voxels a side). */
function phantomVolume(contrast: 'PD' | 'T2'): string {
  const folder = path.join(scratch, 'phantom', contrast);
  return path.join(folder, readdirSync(folder)[0]!);
}

/** Runs the built fedmed command; a failure is the test's failure, with its stderr. */
function fedmed(...args: string[]): string {
  const run = spawnSync(process.execPath, [path.join(root, 'dist/cli/main.js'), ...args], { encoding: 'utf8' });
  assert.is(run.status, 0, `fedmed ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** A new page that records uncaught errors, console errors and failed or refused requests, and every request ("GET url"). */
async function openPage(relative: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => void (r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`)));
  await page.goto(`${server!.url}${relative}`);
  return { page, problems, requests };
}

check('web/test.html: every engine check and a federated GAN round agree with js on each backend', async () => {
  const { page, problems } = await openPage('web/test.html');
  await page.waitForFunction(() => window.fedmedBrowserTest?.done, null, { timeout: 120_000 });
  const report: BrowserTestReport = await page.evaluate(() => window.fedmedBrowserTest);
  await page.close();
  assert.is(report.error, undefined, `the page stopped: ${report.error}`);
  assert.ok(report.crossOriginIsolated, 'the page is not cross-origin isolated (COOP/COEP)');
  const available = report.backends.filter((b) => b.available).map((b) => b.name);
  for (const b of report.backends) console.log(`  ${b.name}: ${b.available ? b.detail : `unavailable (${b.detail})`}`);
  const webgpu = report.backends.find((b) => b.name === 'webgpu');
  assert.ok(webgpu?.available, `no WebGPU in chromium (SwiftShader): ${webgpu?.detail}`);
  // SwiftShader is a software adapter: auto passes over it for wasm, and says why.
  assert.is(report.auto?.name, 'wasm', `auto picked ${report.auto?.name}: ${report.auto?.reason}`);
  assert.match(report.auto?.reason ?? '', /webgpu: only a software adapter/);
  const wasm = report.backends.find((b) => b.name === 'wasm');
  if (await worksInNode('wasm')) assert.ok(wasm?.available, `the wasm backend works in Node, not in the page: ${wasm?.detail}`);
  assert.ok(available.includes('js'));
  const checks = engineChecks.length + 1; // and the GAN round
  for (const name of available) {
    const rows = report.comparisons.filter((c) => c.backend === name);
    assert.is(rows.length, checks, `${name}: ${rows.length} of ${checks} checks reported`);
    for (const row of rows) {
      assert.ok(row.ok, `${name}, ${row.check}: ${row.detail}; worst relative difference ${row.worst} (tolerance ${row.tolerance}), ${row.leaked} tensors leaked`);
    }
    const slowest = rows.reduce((a, b) => (b.ms > a.ms ? b : a));
    console.log(`  ${name}: ${rows.length} checks in ${(rows.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(1)} s (slowest: ${slowest.check}, ${(slowest.ms / 1000).toFixed(1)} s)`);
  }
  assert.equal(problems, []);
});

// On js: training on SwiftShader's WebGPU takes seconds a step, and test.html has run it already.
check('web/index.html: trains a round on the backend asked for, shows its metrics, the loss and both grids', async () => {
  const { page, problems } = await openPage('web/?backend=js&rounds=1&width=4&run');
  await page.waitForFunction(() => ['done', 'failed'].includes(window.fedmedPage?.state), null, { timeout: 120_000 });
  const state: PageState = await page.evaluate(() => window.fedmedPage);
  assert.is(state.error, undefined);
  assert.is(state.state, 'done');
  assert.is(state.backend, 'js');
  assert.is(state.rounds.length, 1);
  const [round] = state.rounds;
  for (const v of [...round!.psnr, ...round!.ssim, round!.losses.generator!, round!.losses.discriminator!]) assert.ok(Number.isFinite(v), `${v}`);
  const table = await page.$$eval('#rounds-table tbody tr', (rows) => rows.map((r) => r.textContent));
  assert.is(table.length, 1);
  const grids = await page.$$eval('#grids img', (images) => images.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight]));
  assert.equal(grids, [[3 * 32 + 2 * 4, 4 * 32 + 3 * 4], [3 * 32 + 2 * 4, 4 * 32 + 3 * 4]]); // 4 rows of input | synthesized | target, 4 px gaps
  assert.ok(await page.$eval('#loss-chart', (i) => (i as HTMLImageElement).naturalWidth > 0), 'no loss chart');
  assert.match(await page.$eval('#status', (e) => e.textContent ?? ''), /^done: 1 round in /);
  await page.close();
  assert.equal(problems, []);
});

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.FEDMED_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, name), fullPage: true });
}

check('web/index.html: the default demo learns, its generators translate a picked NIfTI as fedmed translate does, and nothing leaves the page', async () => {
  const { page, problems, requests } = await openPage('web/?run');
  await page.waitForFunction(() => ['done', 'failed'].includes(window.fedmedPage?.state), null, { timeout: 300_000 });
  const state: PageState = await page.evaluate(() => window.fedmedPage);
  assert.is(state.error, undefined);
  assert.is(state.rounds.length, demoDefaults.rounds);
  const last = state.rounds.at(-1)!;
  console.log(`  demo on ${state.backend}: ${state.seconds!.toFixed(1)} s; final PSNR ${last.psnr.map((v) => v.toFixed(2)).join(' / ')} dB against the input's ${state.baseline!.map((v) => v.toFixed(2)).join(' / ')} dB`);
  last.psnr.forEach((v, i) => assert.ok(v > state.baseline![i]!, `direction ${i}: ${v} dB, not above the untranslated input's ${state.baseline![i]} dB`));
  assert.ok(await page.$eval('#psnr-chart', (i) => (i as HTMLImageElement).naturalWidth > 0), 'no PSNR curve');
  assert.match(await page.$eval('#status', (e) => e.textContent ?? ''), /above the untranslated input in both directions/);
  await screenshot(page, 'page-demo.png');

  const generators = path.join(scratch, 'generators.safetensors');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-generators')]);
  await download.saveAs(generators);

  // Its metadata rebuilds the demo's test set, and records it as a run does, so eval checks the split it remakes.
  assert.ok(decodeSafetensors(readFileSync(generators)).metadata.testSubjects?.length, 'the test subjects are recorded');
  const evaluated = JSON.parse(fedmed('eval', '--checkpoint', generators, '--backend', 'wasm', '--json')) as { metrics: { psnr: number }[] };
  evaluated.metrics.forEach((m, i) => assert.ok(Math.abs(m.psnr - last.psnr[i]!) < 0.01, `fedmed eval: ${m.psnr} dB, the page: ${last.psnr[i]} dB`));

  const pd = phantomVolume('PD');
  const cliOut = path.join(scratch, 'cli_T2.nii.gz');
  fedmed('translate', '--checkpoint', generators, '--in', pd, '--out', cliOut, '--backend', 'wasm');

  // A truncated file is one line on the card naming it, and the card carries on.
  await page.setInputFiles('#scan-file', { name: 'broken.nii', mimeType: 'application/octet-stream', buffer: readFileSync(pd).subarray(0, 200) });
  await page.waitForFunction(() => window.fedmedPage.scan.error !== undefined);
  assert.match(await page.$eval('#scan-error', (e) => e.textContent ?? ''), /^broken\.nii: /);
  assert.match(await page.$eval('#scan-status', (e) => e.textContent ?? ''), /^stopped/);
  await page.setInputFiles('#scan-file', pd);
  await page.waitForFunction(() => window.fedmedPage.scan.state === 'idle', null, { timeout: 30_000 }); // a good file after a bad one
  await page.setInputFiles('#checkpoint-file', generators);
  await page.selectOption('#direction', 'a2b');
  await page.click('#translate');
  await page.waitForFunction(() => ['done', 'failed'].includes(window.fedmedPage.scan.state), null, { timeout: 120_000 });
  const scan = (await page.evaluate(() => window.fedmedPage.scan)) as PageState['scan'];
  assert.is(scan.error, undefined);
  assert.equal([scan.translated?.from, scan.translated?.to], ['PD', 'T2']);
  assert.equal(scan.shown, [1, 1], 'NiiVue shows the input and the synthesized volume');
  const pageOut = path.join(scratch, 'page_T2.nii.gz');
  const [synthesized] = await Promise.all([page.waitForEvent('download'), page.click('#download-scan')]);
  assert.match(synthesized.suggestedFilename(), /_synth-T2\.nii\.gz$/);
  await synthesized.saveAs(pageOut);
  await screenshot(page, 'page-translation.png');

  // Another volume: the last result leaves with its download link; its upper-case name is not one NiiVue knows,
  // and it must not be fetched from the server (nothing about a scan leaves the page).
  await page.setInputFiles('#scan-file', { name: 'PATIENT_PD.NII.GZ', mimeType: 'application/gzip', buffer: readFileSync(pd) });
  await page.waitForFunction(() => window.fedmedPage.scan.volume === 'PATIENT_PD.NII.GZ');
  const after = (await page.evaluate(() => window.fedmedPage.scan)) as PageState['scan'];
  assert.equal([after.state, after.translated, after.shown], ['idle', undefined, [1, 0]]);
  assert.ok(await page.$eval('#download-scan', (e) => (e as HTMLAnchorElement).hidden), 'the old result\'s download link is still offered');
  const named = requests.filter((r) => /PATIENT|broken|IXI|_synth/i.test(decodeURIComponent(r)));
  assert.equal(named, [], 'a request names a scan');
  await page.close();

  const [fromPage, fromCli] = [await readNiftiFile(pageOut), await readNiftiFile(cliOut)];
  assert.equal(fromPage.header, fromCli.header);
  assert.equal(fromPage.affine, fromCli.affine);
  assert.is(fromPage.data.length, fromCli.data.length);
  let worst = 0;
  for (let i = 0; i < fromCli.data.length; i++) worst = Math.max(worst, Math.abs(fromPage.data[i]! - fromCli.data[i]!));
  assert.ok(worst <= 1e-5, `the page's volume differs from fedmed translate's by up to ${worst}`);
  console.log(`  translation in the page: ${scan.translated!.dims.join('x')} in ${scan.translated!.seconds.toFixed(1)} s, at most ${worst} from fedmed translate's; ${requests.length} requests, all to the page's server`);

  const origin = new URL(server!.url).origin;
  const elsewhere = requests.filter((r) => {
    const [method, url] = r.split(' ') as [string, string];
    if (url.startsWith('blob:') || url.startsWith('data:')) return !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:');
    return method !== 'GET' || new URL(url).origin !== origin;
  });
  assert.ok(requests.length > 0, 'no requests recorded');
  assert.equal(elsewhere, [], 'requests beyond the page\'s own static files');
  assert.equal(problems, []);
});

/** A page that trained the demo briefly (a round at width 2 on wasm) and whose scan card took its generators and a phantom PD volume. */
async function pageWithDemoGenerators(): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage('web/?backend=wasm&rounds=1&width=2&run');
  const { page } = opened;
  await page.waitForFunction(() => ['done', 'failed'].includes(window.fedmedPage?.state), null, { timeout: 60_000 });
  assert.is(await page.evaluate(() => window.fedmedPage.error), undefined);
  await page.click('#use-demo');
  await page.setInputFiles('#scan-file', phantomVolume('PD'));
  await page.waitForFunction(() => window.fedmedPage.scan.state === 'idle' && window.fedmedPage.scan.volume !== undefined, null, { timeout: 30_000 });
  return opened;
}

/** Clicks `selector` and says, before the click's job yields, which controls are disabled. */
function clickAndLook(page: Page, selector: string): Promise<Record<string, boolean>> {
  return page.evaluate((clicked) => {
    (document.querySelector(clicked) as HTMLButtonElement).click();
    const disabled = (id: string) => (document.getElementById(id) as HTMLButtonElement | HTMLSelectElement).disabled;
    return { backend: disabled('backend'), train: disabled('run'), translate: disabled('translate'), volume: disabled('scan-file') };
  }, selector);
}

check('web/index.html: one engine job at a time: while the demo trains or a scan translates, the backend cannot change and neither job can start again', async () => {
  const { page, problems } = await pageWithDemoGenerators();
  const free = { backend: false, train: false, translate: false, volume: false };
  assert.equal(await clickAndLook(page, '#scan-card'), free);

  assert.equal(await clickAndLook(page, '#run'), { ...free, backend: true, train: true, translate: true }, 'while the demo trains');
  await page.waitForFunction(() => ['done', 'failed'].includes(window.fedmedPage.state), null, { timeout: 60_000 });
  assert.is(await page.evaluate(() => window.fedmedPage.error), undefined);
  assert.equal(await clickAndLook(page, '#scan-card'), free, 'after the training');

  // Files picked during the translation would not be the ones its result is shown beside.
  assert.equal(await clickAndLook(page, '#translate'), { backend: true, train: true, translate: true, volume: true }, 'while a scan translates');
  await page.waitForFunction(() => ['done', 'failed'].includes(window.fedmedPage.scan.state), null, { timeout: 60_000 });
  assert.is(await page.evaluate(() => window.fedmedPage.scan.error), undefined);
  assert.equal(await clickAndLook(page, '#scan-card'), free, 'after the translation');
  assert.is(await page.evaluate(() => window.fedmedPage.state), 'done', 'the translation stopped the training');
  await page.close();
  assert.equal(problems, []);
});

check('web/index.html: a volume whose name names another contrast than the direction\'s source is warned of, as fedmed translate refuses it, until the direction is picked', async () => {
  const { page, problems } = await pageWithDemoGenerators(); // PD <-> T2 generators
  const pick = async (name: string) => {
    await page.setInputFiles('#scan-file', { name, mimeType: 'application/gzip', buffer: readFileSync(phantomVolume('PD')) });
    await page.waitForFunction((file) => window.fedmedPage.scan.volume === file && window.fedmedPage.scan.state === 'idle', name);
    const card = await page.evaluate(() => ({
      warning: window.fedmedPage.scan.warning,
      shown: !(document.getElementById('direction-warning') as HTMLElement).hidden,
      direction: (document.getElementById('direction') as HTMLSelectElement).value,
      button: document.getElementById('translate')!.textContent,
    }));
    return card;
  };
  const third = await pick('IXI001-Guys-1001-T1.nii.gz');
  assert.match(third.warning ?? '', /^IXI001-Guys-1001-T1\.nii\.gz: its name says T1, but the translation is PD → T2 \(these generators translate PD ↔ T2\)/);
  assert.equal([third.shown, third.direction, third.button], [true, 'a2b', 'Translate anyway']);
  await page.selectOption('#direction', 'b2a'); // picked: fedmed translate --direction b2a goes ahead too
  assert.equal(await page.evaluate(() => [window.fedmedPage.scan.warning, document.getElementById('translate')!.textContent]), [undefined, 'Translate']);
  const target = await pick('IXI002-Guys-0828-T2.nii.gz'); // the other direction, as fedmed translate's hint says
  assert.equal([target.warning, target.shown, target.direction, target.button], [undefined, false, 'b2a', 'Translate']);
  const source = await pick('IXI002-Guys-0828-PD.nii.gz');
  assert.equal([source.warning, source.direction], [undefined, 'a2b']);
  await page.close();
  assert.equal(problems, []);
});

/** A sparse file of `bytes` zeros in the suite's scratch folder (no disk used). */
function sparseFile(name: string, bytes: number): string {
  const file = path.join(scratch, name);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return file;
}

check('web/index.html: a picked file is refused by its name or size before it is read, a bad header after its first chunk, and generators that do not fit their model when picked, in one line naming it', async () => {
  const { page, problems } = await openPage('web/');
  const cases: [string, number, RegExp][] = [
    ['huge.txt', 5 * 2 ** 30, /^huge\.txt: neither a NIfTI volume/],
    ['huge.nii', 5 * 2 ** 30, /^huge\.nii: 5\.37 GB, larger than any volume fedmed reads \(at most \d+ voxels/],
    ['zeros.nii', 3 * 2 ** 30, /^zeros\.nii: not a NIfTI-1 file \(sizeof_hdr is 0, want 348\)$/], // fedmed translate's line for it
  ];
  for (const [name, bytes, expected] of cases) {
    await page.setInputFiles('#scan-file', sparseFile(name, bytes));
    await page.waitForFunction((file) => window.fedmedPage.scan.error?.startsWith(`${file}: `), name, { timeout: 10_000 });
    assert.match(await page.$eval('#scan-error', (e) => e.textContent ?? ''), expected);
  }
  // Generators whose metadata says width 4 for width-2 tensors: refused when picked, not at Translate.
  const model = createModel('cyclegan', { width: 2, size: 32, seed: 1 });
  const wrongWidth = await encodeCheckpoint(model, { model: 'cyclegan', width: 4, size: 32, source: 'PD', target: 'T2', identity: model.options.identity });
  model.dispose();
  await page.setInputFiles('#checkpoint-file', { name: 'wide.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(wrongWidth) });
  await page.waitForFunction(() => window.fedmedPage.scan.error?.startsWith('wide.safetensors'), null, { timeout: 10_000 });
  assert.match(await page.$eval('#scan-error', (e) => e.textContent ?? ''), /^wide\.safetensors \(cyclegan, width 4\): /);
  assert.is(await page.evaluate(() => window.fedmedPage.scan.checkpoint), undefined);
  await page.close();
  assert.equal(problems, []);
});

browserSuite.run();
