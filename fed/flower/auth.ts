/**
 * Flower's node authentication: every Fleet call carries the node's P-384
 * public key (PEM, SubjectPublicKeyInfo), the current UTC time as Python's
 * isoformat() writes it, and an ECDSA-SHA256 signature (DER) over that
 * timestamp's ASCII bytes and nothing else. The SuperLink accepts a call if
 * the signature verifies and its clock minus the timestamp lies strictly
 * between -5 s and 305 s.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export const PUBLIC_KEY_HEADER = 'flwr-public-key-bin';
export const TIMESTAMP_HEADER = 'flwr-timestamp';
export const SIGNATURE_HEADER = 'flwr-signature-bin';

/** The window the SuperLink accepts, in seconds of (its clock - the timestamp), both ends open. */
export const TIMESTAMP_WINDOW = { min: -5, max: 305 } as const;

export interface AuthHeaders {
  [PUBLIC_KEY_HEADER]: Uint8Array;
  [TIMESTAMP_HEADER]: string;
  [SIGNATURE_HEADER]: Uint8Array;
}

/** A node's key pair: a fresh one per node process, as Flower's own SuperNode makes. */
export class NodeKey {
  /** The public key as the PEM bytes the SuperLink registers. */
  readonly publicPem: Uint8Array;

  private constructor(private readonly privateKey: KeyObject) {
    this.publicPem = new TextEncoder().encode(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string);
  }

  static generate(): NodeKey {
    return new NodeKey(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey);
  }

  /** The key pair from its private key (PKCS#8 PEM), e.g. in the heartbeat thread. */
  static fromPem(privatePem: string): NodeKey {
    return new NodeKey(createPrivateKey(privatePem));
  }

  /** The private key as PKCS#8 PEM, to hand to the heartbeat thread (never written anywhere). */
  privatePem(): string {
    return this.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }

  /**
   * The three metadata entries of a call made at `now` (microseconds). A
   * signature up to a second old is reused: the SuperLink accepts a
   * timestamp for 305 s, and a reply's object pushes are a hundred calls
   * in a second, each of which would otherwise cost a signing.
   */
  headers(now = nowMicros()): AuthHeaders {
    if (this.signed && now >= this.signedAt && now - this.signedAt < 1_000_000) return this.signed;
    const timestamp = pythonTimestamp(now);
    this.signedAt = now;
    this.signed = {
      [PUBLIC_KEY_HEADER]: this.publicPem,
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: sign('sha256', new TextEncoder().encode(timestamp), this.privateKey),
    };
    return this.signed;
  }

  private signed: AuthHeaders | null = null;
  private signedAt = 0;
}

/** Microseconds since the epoch, from the wall clock. */
export function nowMicros(): number {
  // The wall clock itself: timeOrigin + performance.now() is monotonic, and falls behind it across a suspend or a clock step.
  return Date.now() * 1000;
}

/**
 * `2026-12-02T16:55:16.582204+00:00`: Python's
 * datetime.now(timezone.utc).isoformat() for a time in microseconds (which
 * leaves the fraction out when it is zero).
 */
export function pythonTimestamp(micros: number): string {
  const date = new Date(Math.floor(micros / 1000));
  const fraction = Math.floor(micros) % 1_000_000;
  return `${date.toISOString().slice(0, 19)}${fraction === 0 ? '' : `.${String(fraction).padStart(6, '0')}`}+00:00`;
}

/** Whether `signature` is the key's ECDSA-SHA256 signature of the timestamp (what the SuperLink checks). */
export function verifyHeaders(headers: AuthHeaders): boolean {
  try {
    const key = createPublicKey(Buffer.from(headers[PUBLIC_KEY_HEADER]).toString('utf8'));
    return verify('sha256', new TextEncoder().encode(headers[TIMESTAMP_HEADER]), key, headers[SIGNATURE_HEADER]);
  } catch {
    return false;
  }
}

/**
 * Milliseconds since the epoch of an ISO 8601 timestamp with a UTC offset
 * (the forms Python's fromisoformat takes); null for one without an offset.
 */
export function parseTimestamp(text: string): number | null {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/.test(text)) return null;
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? null : ms;
}
