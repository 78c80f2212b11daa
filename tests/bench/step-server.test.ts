/**
 * bench/step-server.ts driven by bench/step-process.ts, as `fedmed bench step
 * --against` drives two builds: a child process that loads a build by folder
 * and runs its training steps one request at a time, and errors that say
 * which side failed and why.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { thisBuildRoot } from '../../bench/builds.js';
import { StepProcess } from '../../bench/step-process.js';
import { rejects } from '../helpers/rejects.js';

const server = fileURLToPath(new URL('../../bench/step-server.js', import.meta.url));
const setup = { model: 'cyclegan', size: 32, width: 2, batch: 1, dp: false, backend: 'wasm', threads: 1 };

test('a step server loads the build it is given and times one step per request', async () => {
  const p = await StepProcess.start(process.execPath, [server], { ...setup, build: thisBuildRoot }, 'this build');
  try {
    assert.match(p.describe, /^wasm: WebAssembly .* on 1 thread/);
    for (let i = 0; i < 2; i++) {
      const ms = await p.step();
      assert.ok(ms > 0 && ms < 60_000, `step ${i}: ${ms} ms`);
    }
  } finally {
    p.close();
  }
});

test('timed by CPU time, a step answers the process\'s CPU milliseconds', async () => {
  const p = await StepProcess.start(process.execPath, [server], { ...setup, build: thisBuildRoot }, 'this build', 'cpu');
  try {
    const cpuMs = await p.step();
    assert.ok(cpuMs > 0 && cpuMs < 60_000, `${cpuMs} CPU ms`);
  } finally {
    p.close();
  }
});

test('a folder without a build is an error naming the side and the folder', async () => {
  await rejects(() => StepProcess.start(process.execPath, [server], { ...setup, build: '/nonexistent' }, 'the other build'), /^the other build: \/nonexistent: no fedmed build here/);
});

test('a child that cannot start is an error naming it', async () => {
  await rejects(() => StepProcess.start('/nonexistent/python3', [], {}, 'PyTorch'), /^PyTorch exited: .*ENOENT/);
});

test.run();
