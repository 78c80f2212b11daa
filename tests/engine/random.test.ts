/**
 * Gaussian noise drawn on the backend (randomNormal: Philox 4x32-10 and
 * Box-Muller): Random123's known answers, the stream's definition from them
 * (both seed words as Philox's key), and moments and a Kolmogorov-Smirnov
 * test over a million draws on js, wasm and webgpu. That
 * every backend draws what js draws is in the kernel table
 * (tests/engine/kernels/random.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomNormal, type RandomKey } from '../../engine/index.js';
import { boxMuller, philox4x32, radiusUniform } from '../../engine/backends/js/random.js';
import { everyBackend, testOn } from '../helpers/backends.js';

/** The draws of stream `key` on the installed backend. */
async function draw(size: number, key: RandomKey): Promise<Float32Array> {
  const t = randomNormal([size], key);
  const values = await t.data();
  t.dispose();
  return values;
}

test("Box-Muller's radius takes u1 from 41 bits, 2^-41 to 1, sharing none with the angle", () => {
  const radius = (a: number, b: number) => Math.hypot(...boxMuller(a, b));
  assert.ok(Math.abs(radius(0, 0) - Math.sqrt(82 * Math.LN2)) < 1e-12, `${radius(0, 0)}`);
  assert.is(radiusUniform(0, 0), 2 ** -41);
  assert.is(radiusUniform(0xffffffff, 0x1ff), 1);
  assert.is(radius(0xffffffff, 0xffffffff), 0);
  // The angle's bits (b >> 9) leave the radius as it was; the radius's (b & 511) leave the angle.
  const angle = (a: number, b: number) => Math.atan2(boxMuller(a, b)[1], boxMuller(a, b)[0]);
  assert.is(radiusUniform(12345, 0x1ff), radiusUniform(12345, 0xfffffe00 | 0x1ff));
  assert.ok(Math.abs(angle(12345, 0x10000) - angle(54321, 0x101ff)) < 1e-12);
});

test('Philox 4x32-10 gives Random123 known answers', () => {
  const hex = (v: number[]) => v.map((x) => x.toString(16).padStart(8, '0'));
  assert.equal(hex(philox4x32([0, 0, 0, 0], [0, 0])), ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
  assert.equal(hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])), ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
  assert.equal(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])), ['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
});

for (const backend of everyBackend) {
  testOn(backend, 'block b of stream (seed, seedHigh, counter) is Box-Muller of Philox at counter (b, counter, 0, 0) under key (seed, seedHigh); seedHigh defaults to 0', async () => {
    const key = { seed: 0xa4093822, seedHigh: 0x299f31d0, counter: 0x85a308d3 };
    const z = await draw(12, key);
    for (let block = 0; block < 3; block++) {
      const [a, b, c, d] = philox4x32([block, key.counter, 0, 0], [key.seed, key.seedHigh]);
      const expected = [...boxMuller(a, b), ...boxMuller(c, d)];
      expected.forEach((v, lane) => assert.ok(Math.abs(z[4 * block + lane]! - v) < 1e-5, `block ${block} lane ${lane}: ${z[4 * block + lane]} vs ${v}`));
    }
    assert.equal(await draw(8, { seed: 5, counter: 2 }), await draw(8, { seed: 5, seedHigh: 0, counter: 2 }));
  });

  // Found by search over counters (about 2^24 pairs per hit): block 0's second pair has u1 = 6.3e-10, under 2^-24.
  testOn(backend, "the noise's tail reaches past 5.77 sigma, where a radius from 24 bits stopped: a pair drawn with u1 = 6.3e-10 has radius 6.508", async () => {
    const z = await draw(4, { seed: 0x5eed, seedHigh: 0x7a11, counter: 162858447 });
    const r = Math.hypot(z[2]!, z[3]!);
    assert.ok(Math.abs(r - 6.5084) < 1e-3, `radius ${r}`);
  });

  testOn(backend, 'keys differing only in seedHigh give unrelated streams', async () => {
    const n = 4096;
    const [a, b] = [await draw(n, { seed: 42, seedHigh: 1, counter: 7 }), await draw(n, { seed: 42, seedHigh: 2, counter: 7 })];
    const correlation = a.reduce((s, v, i) => s + v * b[i]!, 0) / n;
    assert.ok(Math.abs(correlation) < 5 / 64, `seedHigh 1 and 2 correlate: ${correlation}`);
    assert.ok(a.every((v, i) => v !== b[i]), 'some draw is the same under both keys');
  });
}

/** The standard normal CDF (Abramowitz and Stegun 26.2.17, error below 7.5e-8). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
  return z >= 0 ? 1 - tail : tail;
}

for (const backend of everyBackend) {
  testOn(backend, `a million draws have a normal's moments and pass Kolmogorov-Smirnov; other counters are other streams`, async () => {
    const n = 1 << 20;
    const z = await draw(n, { seed: 42, counter: 7 });
    let [m1, m2, m3, m4] = [0, 0, 0, 0];
    for (const v of z) {
      m1 += v;
      m2 += v * v;
      m3 += v * v * v;
      m4 += v * v * v * v;
    }
    [m1, m2, m3, m4] = [m1 / n, m2 / n, m3 / n, m4 / n];
    // Five standard errors: sqrt(1/n), sqrt(2/n), sqrt(6/n), sqrt(24/n) (about 0.001, 0.0014, 0.0024, 0.0048).
    assert.ok(Math.abs(m1) < 0.005, `mean ${m1}`);
    assert.ok(Math.abs(m2 - 1) < 0.007, `variance ${m2}`);
    assert.ok(Math.abs(m3) < 0.012, `skewness ${m3}`);
    assert.ok(Math.abs(m4 - 3) < 0.025, `kurtosis ${m4}`);
    const sorted = Float64Array.from(z).sort();
    let d = 0;
    sorted.forEach((v, i) => {
      const f = normalCdf(v);
      d = Math.max(d, (i + 1) / n - f, f - i / n);
    });
    assert.ok(d * Math.sqrt(n) < 1.95, `Kolmogorov-Smirnov statistic sqrt(n) D = ${(d * Math.sqrt(n)).toFixed(3)} (1.95: p = 0.001)`);
    const other = await draw(4096, { seed: 42, counter: 8 });
    const correlation = other.reduce((s, v, i) => s + v * z[i]!, 0) / 4096;
    assert.ok(Math.abs(correlation) < 5 / 64, `counters 7 and 8 correlate: ${correlation}`);
  });
}

test('randomNormal refuses a seed word or counter outside [0, 2^32)', () => {
  assert.throws(() => randomNormal([4], { seed: -1, counter: 0 }), /seed must be a whole number in \[0, 2\^32\), got -1/);
  assert.throws(() => randomNormal([4], { seed: 0, counter: 2 ** 32 }), /counter/);
  assert.throws(() => randomNormal([4], { seed: 0.5, counter: 0 }), /seed/);
  assert.throws(() => randomNormal([4], { seed: 0, seedHigh: 2 ** 32, counter: 0 }), /seedHigh must be a whole number/);
});

test.run();
