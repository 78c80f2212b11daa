/**
 * Clients trained in worker threads (cli/train/placement.ts,
 * worker-clients.ts, client-worker.ts), at toy size on wasm with one thread
 * per engine: two workers give bit-identical global generators, metrics,
 * losses and ledger to one thread training the clients in turn (with and
 * without DP-SGD), and a run
 * resumed with workers ends as the uninterrupted one; a worker's error
 * reaches the run as its own class with its message; --workers is checked;
 * clients go to workers by longest processing time first.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getBackend, setBackend, useBackend, type Backend } from '../../engine/index.js';
import { installNodePlatform } from '../../platform/node.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { latestCheckpoint, readSafetensors } from '../../cli/train/checkpoint.js';
import { assignClients, parseWorkers, placeClients, refuseWorkersOnGpu, type Placement } from '../../cli/train/placement.js';
import { runTraining, type RunResult } from '../../cli/train/run.js';
import { reviveError, serializeError } from '../../cli/train/worker-protocol.js';
import { NonFiniteLossError } from '../../fed/client.js';
import { FileSystemError } from '../../store/atomic.js';
import { UsageError } from '../../cli/args.js';
import { fedmed } from './helpers.js';

// Three clients on two workers: one worker holds two of them, in turn on its engine.
const tiny = ['--size', '32', '--width', '2', '--subjects', '10', '--phantom-size', '32', '--backend', 'wasm', '--weights', '0.5,0.3,0.2', '--local-epochs', '1'];
const twoRounds = [...tiny, '--rounds', '2'];
// DP-SGD's noise and Poisson samples too; one round, as its accountant takes seconds a client round.
const private1 = [...tiny, '--rounds', '1', '--dp', '--dp-randomness', 'seeded']; // seeded: the in-turn run must draw the same noise
const quiet = { log: () => {}, progress: null };
const oneThread: Placement = { workers: 1, why: 'test: in turn' };
const twoWorkers: Placement = { workers: 2, threads: 1, why: 'test: two workers' };
const dirs: string[] = [];
/** Runs trained in turn in one thread, by their flags: what the workers' runs must equal. */
const inTurnRuns = new Map<string, Promise<{ dir: string; result: RunResult }>>();

function runDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedmed-workers-'));
  dirs.push(dir);
  return dir;
}

async function generators(dir: string): Promise<Map<string, number[]>> {
  const { tensors } = await readSafetensors(path.join((await latestCheckpoint(dir))!, 'generators.safetensors'));
  return new Map([...tensors].map(([k, v]) => [k, [...v.values]]));
}

function inTurn(args: string[]): Promise<{ dir: string; result: RunResult }> {
  const key = args.join(' ');
  if (!inTurnRuns.has(key)) {
    const dir = runDir();
    inTurnRuns.set(key, trainConfigFromArgs(args).then(async (config) => ({ dir, result: await runTraining(config, dir, { ...quiet, placement: oneThread }) })));
  }
  return inTurnRuns.get(key)!;
}

async function assertSameRun(args: string[], dir: string, result: RunResult, what: string): Promise<void> {
  const expected = await inTurn(args);
  assert.equal(await generators(dir), await generators(expected.dir), `${what}: global generators`);
  // As the run folder keeps them (a resumed run's history comes back from JSON).
  const kept = (r: RunResult) => JSON.parse(JSON.stringify([r.history.records.map((e) => [e.metrics, e.losses]), r.history.clients, r.history.ledger]));
  const [records, clients, ledger] = kept(result);
  const [expectedRecords, expectedClients, expectedLedger] = kept(expected.result);
  assert.equal(records, expectedRecords, `${what}: metrics and losses`);
  assert.equal(clients, expectedClients, `${what}: clients' steps, losses and epsilon`);
  assert.equal(ledger, expectedLedger, `${what}: privacy ledger`);
}

let previous: Backend;

test.before(async () => {
  installNodePlatform();
  previous = getBackend();
  await setBackend('wasm', { threads: 1 });
});

test.after(() => {
  useBackend(previous); // the same instance, so the suites after this one (one process) keep their backend and tensors
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('two workers train bit-identically to one thread training the clients in turn, and say so in the report', async () => {
  const dir = runDir();
  const lines: string[] = [];
  const result = await runTraining(await trainConfigFromArgs(twoRounds), dir, { ...quiet, log: (line) => lines.push(line), placement: twoWorkers });
  await assertSameRun(twoRounds, dir, result, 'two workers');
  const words = 'clients: trained at once in 2 worker threads (client1, client2+client3), 1 wasm thread each (test: two workers)';
  assert.ok(lines.includes(words), lines.join('\n'));
  assert.ok(readFileSync(path.join(dir, 'report.html'), 'utf8').includes(words));
});

test('with DP-SGD too: the same noise, samples and ledger in workers as in turn', async () => {
  const dir = runDir();
  const result = await runTraining(await trainConfigFromArgs(private1), dir, { ...quiet, placement: twoWorkers });
  assert.ok(result.history.ledger.length === 3, 'a ledger entry per client');
  await assertSameRun(private1, dir, result, 'DP-SGD in two workers');
});

test('a run stopped after round 1 and resumed with workers ends as the uninterrupted run', async () => {
  const config = await trainConfigFromArgs(twoRounds);
  const dir = runDir();
  await runTraining(config, dir, { ...quiet, stopAfterRounds: 1, placement: twoWorkers });
  const resumed = await runTraining(config, dir, { ...quiet, resume: true, placement: twoWorkers });
  await assertSameRun(twoRounds, dir, resumed, 'resumed with workers');
});

test("a private run's secret keys cross to the workers and back: resumed with workers or in turn, one checkpoint ends the same", async () => {
  const config = await trainConfigFromArgs([...tiny, '--rounds', '2', '--dp']);
  assert.is(config.dpRandomness, 'secret');
  const stopped = runDir();
  await runTraining(config, stopped, { ...quiet, stopAfterRounds: 1, placement: twoWorkers }); // keys drawn in the workers
  const inTurnDir = runDir();
  cpSync(stopped, inTurnDir, { recursive: true });
  await runTraining(config, stopped, { ...quiet, resume: true, placement: twoWorkers });
  await runTraining(config, inTurnDir, { ...quiet, resume: true, placement: oneThread });
  assert.equal(await generators(stopped), await generators(inTurnDir));
});

test("a worker's non-finite loss reaches the run as NonFiniteLossError naming the client and step", async () => {
  const config = await trainConfigFromArgs(twoRounds);
  try {
    await runTraining({ ...config, lr: 1e30 }, runDir(), { ...quiet, placement: twoWorkers });
    assert.unreachable('training should have stopped');
  } catch (e) {
    assert.instance(e, NonFiniteLossError);
    assert.match((e as Error).message, /^client client\d: loss \w+ is (NaN|-?Infinity) at epoch \d+, step \d+/);
  }
});

test('errors cross as their class with their fields; others as Error with the message', () => {
  const crossed = reviveError(serializeError(new FileSystemError('cannot write /x: no space left', 'ENOSPC', '/x')));
  assert.instance(crossed, FileSystemError);
  assert.equal([crossed.name, crossed.message, (crossed as FileSystemError).code, (crossed as FileSystemError).path], ['FileSystemError', 'cannot write /x: no space left', 'ENOSPC', '/x']);
  assert.instance(reviveError(serializeError(new UsageError('bad'))), UsageError);
  const plain = reviveError(serializeError(new RangeError('out of range')));
  assert.equal([plain instanceof Error, plain.message], [true, 'out of range']);
});

test('clients go to workers longest first: 4:3:2:1 on two workers is 4+1 and 3+2', () => {
  assert.equal(assignClients([40, 30, 20, 10], 2), [[0, 3], [1, 2]]);
  assert.equal(assignClients([5, 5, 5], 3), [[0], [1], [2]]);
});

test('--workers auto: min(clients, cores) on CPU backends, 1 on webgpu and when centralized; threads share the cores', () => {
  assert.equal(placeClients('auto', { clients: 4, backend: 'wasm', cores: 2 }), { workers: 2, threads: 1, why: 'auto: min(4 clients, 2 cores)' });
  assert.equal(placeClients('auto', { clients: 2, backend: 'js', cores: 8 }).workers, 2);
  assert.equal(placeClients('auto', { clients: 2, backend: 'wasm', cores: 8 }).threads, 4);
  assert.equal(placeClients('auto', { clients: 4, backend: 'wasm', cores: 8, threads: 1 }).threads, 1);
  assert.equal(placeClients('auto', { clients: 4, backend: 'webgpu', cores: 8 }).workers, 1);
  assert.equal(placeClients('auto', { clients: 0, backend: 'wasm', cores: 8 }).workers, 1);
  assert.throws(() => placeClients(2, { clients: 0, backend: 'wasm', cores: 2 }), /centralized run has one client/);
  assert.throws(() => placeClients(2, { clients: 4, backend: 'webgpu', cores: 2 }), /one GPU device per process/);
  assert.throws(() => refuseWorkersOnGpu(2, 'webgpu'), /one GPU device per process/);
  for (const [choice, backend] of [[2, 'wasm'], ['auto', 'webgpu'], [1, 'webgpu']] as const) refuseWorkersOnGpu(choice, backend);
  assert.throws(() => placeClients(5, { clients: 4, backend: 'wasm', cores: 2 }), /at most 4 workers/);
  assert.throws(() => parseWorkers('two'), /--workers is a whole number >= 1 or auto, got 'two'/);
  assert.throws(() => parseWorkers('0'), /--workers is a whole number/);
});

test('fedmed train refuses a bad --workers in one line with the usage status', () => {
  for (const [flags, message] of [
    [['--workers', 'many', '--backend', 'wasm'], /^fedmed: --workers is a whole number >= 1 or auto, got 'many'\n$/],
    [['--workers', '2', '--epochs', '1', '--backend', 'wasm'], /^fedmed: --workers 2: a centralized run has one client; use --workers 1 or auto\n$/],
    [['--workers', '1', '--threads', '2', '--backend', 'js'], /^fedmed: --threads applies to the wasm backend only, not js\n$/],
  ] as const) {
    const r = fedmed('train', '--out', path.join(runDir(), 'run'), ...flags);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, message, r.err);
  }
});

test.run();
