/**
 * What the Flower protocol costs a hospital: one client's round of the main
 * job (configs/main.json, client 1 of 4, its local epochs with DP-SGD)
 * through a `fedmed node` process driven over gRPC by the SuperLink
 * stand-in, against the same round in this process (with the privacy
 * accounting the simulation does per client round), alternated round by
 * round; and the bytes on the wire per round against the generators' size.
 * The stand-in is a test double of Flower's SuperLink (tests/helpers).
 *
 *   npm run bench:flower -- [--rounds N] [--poll S] [--backend wasm|js]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend, type BackendName } from '../engine/index.js';
import { installNodePlatform } from '../platform/node.js';
import { loadSplit } from '../data/fs/index.js';
import { trainConfigFromArgs } from '../cli/train/config.js';
import { buildClient, clientShares, modelOptions, privacyLedger } from '../cli/train/setup.js';
import { toArrayRecord } from '../fed/flower/hospital.js';
import { readNamed } from '../fed/state.js';
import { createModel } from '../models/index.js';
import { NodeProcess } from '../tests/helpers/node-process.js';
import { SuperLinkStandIn } from '../tests/helpers/superlink-standin.js';
import { benchFlags } from './args.js';
import { loadLine, machineLine } from './machine.js';

const mainConfig = fileURLToPath(new URL('../../configs/main.json', import.meta.url));

function settingsFrom(argv: readonly string[]): { rounds: number; poll: number; backend: BackendName } {
  const flags = benchFlags('bench:flower', 'npm run bench:flower -- [flags]', {
    rounds: { type: 'int', min: 1, default: 3, help: 'rounds timed each way (through the node, in this process)' },
    poll: { type: 'number', min: 0.01, default: 0.5, placeholder: 'S', help: "the node's poll interval, seconds" },
    backend: { type: 'string', choices: ['wasm', 'js'], default: 'wasm', help: 'the backend both sides train on' },
  }, argv);
  return { rounds: flags.rounds as number, poll: flags.poll as number, backend: flags.backend as BackendName };
}

/** The main job's settings as `fedmed node` flags (those a node takes). */
function nodeFlags(backend: BackendName): string[] {
  const json = JSON.parse(readFileSync(mainConfig, 'utf8')) as Record<string, unknown>;
  // The federation's size and length, and where its generators start, are the server's to set, not a node's.
  const flags = Object.entries(json).filter(([k]) => !['clients', 'rounds', 'start-from'].includes(k)).flatMap(([k, v]) => [`--${k}`, String(v)]);
  return [...flags, '--part', `1/${json.clients}`, '--backend', backend];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const args = settingsFrom(process.argv.slice(2));
  installNodePlatform();
  await setBackend(args.backend);
  const config = await trainConfigFromArgs(['--config', mainConfig, '--backend', args.backend]);
  const { train } = await loadSplit(config);
  const client = buildClient(config, clientShares(config, train)[0]!, 0, 'client1');
  const server = createModel(config.model, modelOptions(config, config.seed));
  const global = await readNamed(server.generatorParameters());
  const generatorBytes = [...global.values()].reduce((n, e) => n + 4 * e.values.length, 0);
  if (config.dp === 'off') throw new Error(`${mainConfig}: the bench accounts each round's privacy, but its dp is off`);
  const ledger = privacyLedger(config)!;

  const standIn = await SuperLinkStandIn.start();
  const state = mkdtempSync(path.join(tmpdir(), 'fedmed-bench-flower-'));
  const node = new NodeProcess(standIn.address, state, [...nodeFlags(args.backend), '--poll-interval', String(args.poll)]);
  try {
    const nodeId = await node.joined;
    const runId = standIn.createRun();
    const record = standIn.nodes.get(nodeId)!;
    const rows: { inProcessMs: number; nodeMs: number; bytesDown: number; bytesUp: number }[] = [];
    for (let round = 1; round <= args.rounds; round++) {
      client.receive(global);
      let started = performance.now();
      const { steps } = await client.trainRound((round - 1) * config.localEpochs, config.localEpochs);
      await client.upload();
      ledger.record({ client: client.name, round, steps, q: client.samplingRate, noise: client.noise }); // as the simulation accounts each client's round
      const inProcessMs = performance.now() - started;

      const [down, up] = [record.bytesOut, record.bytesIn];
      started = performance.now();
      const id = standIn.send(nodeId, runId, 'train', new Map([
        ['arrays', { kind: 'array', record: toArrayRecord(global) }],
        ['config', { kind: 'config', record: new Map([['server-round', BigInt(round)], ['local-epochs', BigInt(config.localEpochs)]]) }],
      ]));
      const reply = await standIn.reply(id, 600_000);
      if (!reply?.content) throw new Error(`round ${round}: no reply from the node (${reply?.error?.reason ?? 'timeout'})\n${node.output.join('\n')}`);
      const nodeMs = performance.now() - started;
      rows.push({ inProcessMs, nodeMs, bytesDown: record.bytesOut - down, bytesUp: record.bytesIn - up });
      console.error(`round ${round}: in process ${(inProcessMs / 1000).toFixed(2)} s, through the node ${(nodeMs / 1000).toFixed(2)} s`);
    }
    const ratios = rows.map((r) => r.nodeMs / r.inProcessMs);
    console.log(`${machineLine()}\n${loadLine()}\n`);
    console.log(`main job's model (${config.model} width ${config.width}, ${config.size}px, DP ${config.dp}), client 1 of ${config.clients} (${client.samples} items), ${config.localEpochs} local epochs, backend ${args.backend}, node poll interval ${args.poll} s`);
    console.log('round  in process s  through node s  node/in-process  KiB down  KiB up');
    rows.forEach((r, i) => console.log(`${String(i + 1).padStart(5)}  ${(r.inProcessMs / 1000).toFixed(2).padStart(12)}  ${(r.nodeMs / 1000).toFixed(2).padStart(14)}  ${ratios[i]!.toFixed(3).padStart(15)}  ${(r.bytesDown / 1024).toFixed(1).padStart(8)}  ${(r.bytesUp / 1024).toFixed(1).padStart(6)}`));
    console.log(`median node/in-process ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}); generators ${(generatorBytes / 1024).toFixed(1)} KiB as float32`);
  } finally {
    node.child.kill('SIGKILL');
    standIn.stop();
    client.dispose();
    server.dispose();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
