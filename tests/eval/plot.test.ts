import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chartPanel, escapeXml, lineChart, niceTicks } from '../../eval/plot.js';

/** Checks that tags nest and close (what an XML parser would reject first). */
function assertBalancedTags(svg: string): void {
  const stack: string[] = [];
  for (const [, close, name, , selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    if (selfClosing) continue;
    if (close) assert.is(stack.pop(), name, `</${name}> closes the open tag`);
    else stack.push(name!);
  }
  assert.equal(stack, [], 'every tag closed');
}

const polylines = (svg: string) =>
  [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));

test('niceTicks: 1-2-5 steps that cover the range', () => {
  assert.equal(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(niceTicks(0.913, 0.968), [0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97]);
  assert.equal(niceTicks(3, 117), [0, 20, 40, 60, 80, 100, 120]);
  assert.equal(niceTicks(1, 3, 6, true), [1, 2, 3], 'whole epochs only');
  assert.equal(niceTicks(5, 5), [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6], 'a single value gets a range of 10%');
  for (const [lo, hi] of [[-3.7, 12.2], [1e-4, 3e-4], [0.3, 0.30001], [17, 19000]] as const) {
    const t = niceTicks(lo, hi);
    assert.ok(t[0]! <= lo && t[t.length - 1]! >= hi, `[${t}] covers [${lo}, ${hi}]`);
    assert.ok(t.length >= 3 && t.length <= 12, `[${t}] has a sensible count`);
    const step = t[1]! - t[0]!;
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6), `step ${step} is 1, 2 or 5 x 10^k`);
    for (const v of t) assert.ok(String(v).length < 12, `${v} has no binary noise`);
  }
});

test('lineChart: one polyline per series, mapped so larger values sit higher', () => {
  const svg = lineChart({
    title: 'Losses',
    xLabel: 'epoch',
    yLabel: 'loss',
    integerX: true,
    series: [
      { name: 'generator', points: [[1, 4], [2, 3], [3, 2.5]] },
      { name: 'discriminator', points: [[1, 0.5], [2, 0.4], [3, 0.45]] },
    ],
  });
  assertBalancedTags(svg);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  const [g, d] = polylines(svg);
  assert.is(g!.length, 3);
  assert.ok(g![0]![0] < g![1]![0] && g![1]![0] < g![2]![0], 'x increases to the right');
  assert.ok(g![0]![1] < g![1]![1], 'loss 4 drawn above loss 3');
  assert.ok(g![0]![1] < d![0]![1], 'generator above discriminator');
  for (const label of ['Losses', 'epoch', 'loss', 'generator', 'discriminator', '>4<', '>1<', '>3<']) assert.ok(svg.includes(label), label);
  assert.not.ok(svg.includes('>1.5<'), 'no fractional epoch ticks');
});

test('non-finite values break a line instead of bending it; a lone point is a dot', () => {
  const svg = lineChart({
    title: 'PSNR',
    xLabel: 'epoch',
    yLabel: 'dB',
    series: [{ name: 'PD->T2', points: [[1, 20], [2, 21], [3, Infinity], [4, 22], [5, 23], [6, NaN], [7, 24]] }],
  });
  assertBalancedTags(svg);
  assert.is(polylines(svg).length, 2);
  assert.is((svg.match(/<circle /g) ?? []).length, 5, 'every finite point marked');
});

test('an empty chart still draws axes and says so', () => {
  const svg = lineChart({ title: 'SSIM', xLabel: 'epoch', yLabel: 'SSIM', series: [{ name: 'a', points: [] }] });
  assertBalancedTags(svg);
  assert.ok(svg.includes('no data yet'));
  assert.is(polylines(svg).length, 0);
});

test('text is escaped; chartPanel tiles charts in one svg', () => {
  const spec = { title: 'a < b & "c"', xLabel: 'x', yLabel: 'y', series: [{ name: "T1->T2 'x'", points: [[0, 1], [1, 2]] as [number, number][] }] };
  const panel = chartPanel([spec, spec, spec], { columns: 2 });
  assertBalancedTags(panel);
  assert.ok(panel.includes('a &lt; b &amp; &quot;c&quot;') && panel.includes('T1-&gt;T2 &#39;x&#39;'));
  assert.ok(panel.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="840" height="560"'));
  assert.is((panel.match(/<g transform="translate\(/g) ?? []).length, 3);
  assert.is(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
});

test.run();
