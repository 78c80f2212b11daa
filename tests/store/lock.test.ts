/**
 * store/lock.ts: one process at a time holds a folder; a lock whose holder
 * is gone is taken over, including one whose pid now belongs to another
 * process (a recycled pid, or this very process: a container's pid 1 after
 * a restart), and a refusal says how to clear a lock that is wrong.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lockFolder } from '../../store/lock.js';
import { scratchDir } from '../cli/helpers.js';
import { rejects } from '../helpers/rejects.js';

const scratch = scratchDir('lock');
let folders = 0;

function folder(): string {
  const dir = path.join(scratch, String(folders++));
  mkdirSync(dir);
  return dir;
}

/** A process that idles until killed: a live pid that holds no lock. */
async function idle(): Promise<{ pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

test('a second lock on a held folder is refused naming the holder, the lock file and how to clear it if wrong; release frees it', async () => {
  const dir = folder();
  const lock = path.join(dir, '.lock');
  const release = await lockFolder(dir, 'node state');
  await rejects(() => lockFolder(dir, 'node state'), new RegExp(`in use by pid ${process.pid}, which holds its lock .*\\.lock; stop that process, or give another folder \\(if that pid is no fedmed using this folder, the lock is stale: remove ${lock.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`));
  release();
  (await lockFolder(dir, 'node state'))();
});

test("a lock naming this process's pid that this process never took (a container's pid 1 after a restart) is stale: taken over", async () => {
  const dir = folder();
  writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: process.pid, host: hostname(), started: 'an earlier boot/1' }));
  const release = await lockFolder(dir, 'node state');
  assert.is(JSON.parse(readFileSync(path.join(dir, '.lock'), 'utf8')).pid, process.pid);
  assert.is.not(JSON.parse(readFileSync(path.join(dir, '.lock'), 'utf8')).started, 'an earlier boot/1', 'this process\'s own start is recorded');
  release();
});

test('a lock naming a live pid that started after the lock was taken (a recycled pid) is stale: taken over; one naming the live locker is not', async () => {
  const dir = folder();
  const other = await idle();
  try {
    writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: other.pid, host: hostname(), started: 'an earlier boot/1' }));
    const release = await lockFolder(dir, 'node state');
    release();
  } finally {
    other.stop();
  }
  const lockModule = new URL('../../store/lock.js', import.meta.url).href;
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `await (await import(${JSON.stringify(lockModule)})).lockFolder(${JSON.stringify(dir)}, 'node state'); console.log('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    await rejects(() => lockFolder(dir, 'node state'), new RegExp(`in use by pid ${holder.pid},`));
  } finally {
    holder.kill('SIGKILL');
  }
});

test.run();
