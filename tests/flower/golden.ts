/**
 * The wire data recorded from a real Flower 1.28 SuperLink and SuperNode
 * (tests/fixtures/flower, a copy of the project's shared flower-golden
 * folder; its README says what each file holds), read for the tests. Integers
 * past 2^53 (run and node ids) are kept exact: they come back as bigint.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../tests/fixtures/flower');

/** Parses JSON, turning every integer literal of 16 or more digits into a bigint. */
export function readGolden<T = any>(name: string): T {
  const text = readFileSync(path.join(root, name), 'utf8').replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"#big:$2"');
  return JSON.parse(text, (_key, value) => (typeof value === 'string' && value.startsWith('#big:') ? BigInt(value.slice(5)) : value));
}

export function b64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
