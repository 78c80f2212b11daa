/**
 * A test double for a full disk: after `diskFullAfter(bytes)`, file writes
 * through a FileHandle (as store/atomic.ts writes every file) share that
 * many bytes, and the write that passes it writes what still fits and then
 * fails with ENOSPC, as a real full disk does. Imported with `node --import`
 * and FEDMED_TEST_DISK_BYTES set, it fills the disk of a whole fedmed
 * process, its worker threads each on their own budget.
 */
import { open } from 'node:fs/promises';
import { devNull } from 'node:os';

const handle = await open(devNull, 'r');
const fileHandle = Object.getPrototypeOf(handle) as { writeFile(data: string | Uint8Array, ...rest: unknown[]): Promise<void>; write(data: Uint8Array): Promise<unknown> };
await handle.close();
const realWriteFile = fileHandle.writeFile;

/** From now on, `bytes` more bytes fit on the disk; null: as much as the real disk holds. */
export function diskFullAfter(bytes: number | null): void {
  let left = bytes ?? Infinity;
  fileHandle.writeFile = async function (this: typeof fileHandle, data, ...rest) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.length <= left) {
      left -= bytes.length;
      return realWriteFile.call(this, data, ...rest);
    }
    await this.write(bytes.subarray(0, left));
    left = 0;
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  };
}

if (process.env.FEDMED_TEST_DISK_BYTES !== undefined) diskFullAfter(Number(process.env.FEDMED_TEST_DISK_BYTES));
