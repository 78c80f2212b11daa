/**
 * For the node state tests: the small client they save, and a test double
 * of a crash inside a state write. Run as a script (`node
 * node-state-kill.js DIR N`), it saves run A's server round 1 in the node
 * state folder DIR, then begins and saves run B's server round 1 with its
 * N-th file rename or removal from then on replaced by SIGKILL: the process
 * dies just before that operation, as a kill at that moment leaves the
 * folder. It prints 'finished' when it got through without one.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setBackend } from '../../engine/index.js';
import { BatchLoader, buildItems, phantomDataset } from '../../data/index.js';
import { NodeState } from '../../cli/node/state.js';
import { Client } from '../../fed/client.js';
import { createModel } from '../../models/index.js';

export const stateSettings = { model: 'cyclegan', width: 2, seed: 3, part: '1/2' };

/** A private client (its DP key drawn afresh, as a node's is) unless `dp` is false. */
export async function stateClient(seed: number, dp = false): Promise<Client> {
  await setBackend('js');
  const data = phantomDataset({ subjects: 2, size: 32, seed: 1 }, { contrasts: ['PD', 'T2'], size: 32 });
  const loader = new BatchLoader(buildItems(data.subjects, { seed }), { source: 'PD', target: 'T2', batchSize: 4, seed });
  const privacy = { mechanism: 'dp-sgd' as const, clip: 1, noise: 1.1, sensitivity: 2, randomness: 'secret' as const };
  return new Client('client1', loader, (noise) => createModel('cyclegan', { width: 2, size: 32, seed, noise }), seed, dp ? privacy : null);
}

/** The N-th rename or rm from now on kills the process instead (the state folder's writes go through these). */
function killAtFileOperation(n: number): void {
  const fs = createRequire(import.meta.url)('node:fs/promises') as Record<'rename' | 'rm', (...args: unknown[]) => Promise<void>>;
  let count = 0;
  for (const name of ['rename', 'rm'] as const) {
    const real = fs[name];
    fs[name] = (...args) => (++count === n ? process.kill(process.pid, 'SIGKILL') as never : real(...args));
  }
  syncBuiltinESMExports(); // the named imports of node:fs/promises follow
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, n] = [process.argv[2]!, Number(process.argv[3])];
  const client = await stateClient(5);
  const state = await NodeState.open(dir, stateSettings);
  const round = (number: number, runId: string) => ({ round: number, runId, serverRound: 1, firstEpoch: number - 1, epochs: 1 });
  await state.beginRound(round(1, 'A'), null);
  await state.saveRound(client, { ...round(1, 'A'), epsilon: null, ...(await client.trainRound(0, 1)) });
  const local = await client.trainRound(1, 1);
  killAtFileOperation(n);
  await state.beginRound(round(2, 'B'), null);
  await state.saveRound(client, { ...round(2, 'B'), epsilon: null, ...local });
  console.log('finished');
}
