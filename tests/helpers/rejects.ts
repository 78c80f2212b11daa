/** Asserts that `fn` rejects with an error whose message matches `pattern`. */
import * as assert from 'uvu/assert';

export async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}
