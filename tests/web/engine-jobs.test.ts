/** web/engine-jobs.ts: one engine job at a time on the page, and who hears of it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EngineJobs } from '../../web/engine-jobs.js';

/** A job that runs until `finish` is called. */
function pending(): { job: () => Promise<string>; finish: (value: string) => void } {
  let finish!: (value: string) => void;
  const done = new Promise<string>((resolve) => (finish = resolve));
  return { job: () => done, finish };
}

/** The message `promise` rejects with (a fulfilled one fails the test). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as Error).message;
  }
  assert.unreachable('it did not reject');
  return '';
}

test('a second job is refused while one runs, naming both; the first goes on and the next may start after it', async () => {
  const jobs = new EngineJobs();
  const training = pending();
  const first = jobs.run('the training', training.job);
  assert.is(jobs.running, 'the training');
  let started = false;
  const refused = await rejection(jobs.run('the translation', async () => void (started = true)));
  assert.is(refused, 'the training is running: the translation can start when it ends');
  assert.not.ok(started, 'the refused job ran');
  training.finish('trained');
  assert.is(await first, 'trained');
  assert.is(jobs.running, null);
  assert.is(await jobs.run('the translation', async () => 'translated'), 'translated');
});

test('listeners hear the state at once, then each start and end, a failed job included', async () => {
  const jobs = new EngineJobs();
  const heard: (string | null)[] = [];
  jobs.listen((running) => heard.push(running));
  await jobs.run('the training', async () => undefined);
  assert.is(await rejection(jobs.run('the translation', () => Promise.reject(new Error('bad volume')))), 'bad volume');
  assert.equal(heard, [null, 'the training', null, 'the translation', null]);
  assert.is(jobs.running, null);
});

test.run();
