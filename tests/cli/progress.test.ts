/**
 * The progress line (cli/progress.ts) on a terminal: result lines (`log`,
 * stdout) and notices (`warn`, stderr, e.g. a stop signal) first clear the
 * status line they would otherwise be written across.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Progress } from '../../cli/progress.js';

/** A stand-in terminal stream that records what is written. */
function recordingStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY, text: '', write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

const CLEAR = '\r\x1b[2K';

test('on a terminal, warn clears the status line and writes the notice to the status stream', () => {
  const [status, out] = [recordingStream(true), recordingStream(true)];
  const progress = new Progress({ stream: status, out });
  progress.update(1, 4, 'epoch 1/4 step 1/4');
  progress.warn('SIGTERM: stopping once the file being written is complete');
  assert.ok(status.text.endsWith(`${CLEAR}SIGTERM: stopping once the file being written is complete\n`), JSON.stringify(status.text));
  assert.is(out.text, '', 'a notice is not a result');
  progress.warn('second');
  assert.ok(status.text.endsWith('complete\nsecond\n'), 'no status line shown: nothing to clear');
});

test('log clears the status line and writes the result to stdout', () => {
  const [status, out] = [recordingStream(true), recordingStream(true)];
  const progress = new Progress({ stream: status, out });
  progress.update(2, 4, 'epoch 1/4 step 2/4');
  progress.log('epoch 1/4: PSNR 20.00');
  assert.ok(status.text.endsWith(CLEAR));
  assert.is(out.text, 'epoch 1/4: PSNR 20.00\n');
});

test('rate and ETA count from the first step, not from before it (setup does not skew them)', async () => {
  const status = recordingStream(false);
  const progress = new Progress({ stream: status, out: recordingStream(false), plainEverySeconds: 0 });
  await new Promise((r) => setTimeout(r, 300)); // setup: data, workers
  progress.update(1, 3, 'step 1/3', 'img', 4);
  assert.match(status.text, /^step 1\/3  -- img\/s  ETA --:--\n$/, 'one step times nothing');
  await new Promise((r) => setTimeout(r, 50));
  progress.update(2, 3, 'step 2/3', 'img', 4);
  const [, rate, eta] = /step 2\/3  ([\d.]+) img\/s  ETA (\S+)\n$/.exec(status.text) ?? [];
  assert.ok(Number(rate) > 4 / 0.3, `rate ${rate}: 4 images over the 50 ms of step 2, not over the setup too`);
  assert.is(eta, '00:00');
});

test.run();
