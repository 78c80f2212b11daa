/**
 * Node authentication against what a real Flower SuperNode sent
 * (tests/fixtures/flower/auth.json and transcript.json): fedmed verifies
 * the recorded signatures, writes timestamps as Python does, and its own
 * signatures verify under the same rule.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NodeKey, parseTimestamp, pythonTimestamp, PUBLIC_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyHeaders, type AuthHeaders } from '../../fed/flower/auth.js';
import { b64, readGolden } from './golden.js';

const auth = readGolden('auth.json');
const transcript = readGolden('transcript.json');

function recorded(pem: string, timestamp: string, signature: Uint8Array): AuthHeaders {
  return { [PUBLIC_KEY_HEADER]: new TextEncoder().encode(pem), [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signature };
}

test("the real SuperNode's signatures verify; altered ones do not", () => {
  const ex = auth.example_from_transcript;
  assert.ok(verifyHeaders(recorded(ex.public_key_pem, ex.timestamp, b64(ex.signature_b64))));
  assert.not.ok(verifyHeaders(recorded(ex.public_key_pem, ex.timestamp.replace('16:55', '16:56'), b64(ex.signature_b64))), 'another timestamp');
  let calls = 0;
  for (const call of transcript.calls) {
    const entry = (key: string) => call.metadata.find((m: { key: string }) => m.key === key);
    const headers = recorded(Buffer.from(entry(PUBLIC_KEY_HEADER).value_b64, 'base64').toString(), entry(TIMESTAMP_HEADER).value, b64(entry(SIGNATURE_HEADER).value_b64));
    assert.ok(verifyHeaders(headers), `call ${call.index} ${call.method}`);
    calls++;
  }
  assert.is(calls, auth.transcript_check.calls_checked);
});

test('fedmed signs as Flower does: PEM SPKI public key, Python isoformat timestamp, DER ECDSA-SHA256', () => {
  const key = NodeKey.generate();
  const headers = key.headers(Date.UTC(2026, 11, 2, 16, 55, 16) * 1000 + 582204);
  assert.is(headers[TIMESTAMP_HEADER], '2026-12-02T16:55:16.582204+00:00');
  const pem = new TextDecoder().decode(headers[PUBLIC_KEY_HEADER]);
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END PUBLIC KEY-----\n$/);
  assert.is(pem.length, auth.example_from_transcript.public_key_pem.length, 'a P-384 key is as long as the real one');
  assert.ok(verifyHeaders(headers));
  assert.ok(headers[SIGNATURE_HEADER].length >= 101 && headers[SIGNATURE_HEADER].length <= 104, `DER length ${headers[SIGNATURE_HEADER].length}`);
  assert.is(headers[SIGNATURE_HEADER][0], 0x30, 'an ASN.1 SEQUENCE');
  const at = Date.UTC(2026, 11, 2, 16, 55, 16) * 1000 + 582204;
  assert.is(key.headers(at + 900_000)[TIMESTAMP_HEADER], headers[TIMESTAMP_HEADER], 'a signature under a second old is reused');
  assert.is(key.headers(at + 1_200_000)[TIMESTAMP_HEADER], '2026-12-02T16:55:17.782204+00:00', 'an older one is made anew');
  assert.ok(verifyHeaders(key.headers(at + 1_200_000)));
  // The golden test key pair: a signature made with its private key verifies under its public key.
  const pair = auth.test_keypair_example;
  const signature = sign('sha256', new TextEncoder().encode(pair.timestamp), createPrivateKey(pair.private_key_pem_pkcs8));
  assert.ok(verifyHeaders(recorded(pair.public_key_pem, pair.timestamp, signature)));
  assert.ok(verifyHeaders(recorded(pair.public_key_pem, pair.timestamp, b64(pair.signature_b64))));
});

test("a call's timestamp is the wall clock's (Date.now), which a suspend or a clock step moves, not a monotonic one", () => {
  const realNow = Date.now;
  const stepped = realNow() + 3_600_000; // the wall clock an hour ahead of the monotonic one
  Date.now = () => stepped;
  try {
    assert.is(parseTimestamp(NodeKey.generate().headers()[TIMESTAMP_HEADER]), stepped);
  } finally {
    Date.now = realNow;
  }
});

test('timestamps: the forms the SuperLink accepts parse, one without an offset does not', () => {
  const at = Date.UTC(2026, 11, 2, 16, 57, 5, 263);
  for (const text of ['2026-12-02T16:57:05.263039+00:00', '2026-12-02T16:57:05.263Z', '2026-12-02T16:57:05.263+00:00']) assert.is(parseTimestamp(text), at, text);
  assert.is(parseTimestamp('2026-12-02T16:57:05+00:00'), at - 263);
  assert.is(parseTimestamp('2026-12-02T16:57:05.263039'), null);
  assert.is(pythonTimestamp(at * 1000), '2026-12-02T16:57:05.263000+00:00');
  assert.is(pythonTimestamp(Date.UTC(2026, 11, 2, 16, 57, 5) * 1000), '2026-12-02T16:57:05+00:00', 'no fraction when it is zero, as isoformat()');
});

test.run();
