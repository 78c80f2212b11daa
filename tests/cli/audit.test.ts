import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// Compiled to dist/tests/cli/, beside dist/cli/main.js.
const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

function fedmed(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, 'audit', '--backend', 'js', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('prints the measured lower bound (rounded down) beside the accountant (0.97647, rounded up), and names a control', () => {
  const real = fedmed('--canaries', '300');
  assert.is(real.status, 0, real.stderr);
  assert.match(real.stdout, /^audit of the DP-SGD step: epsilon >= \d\.\d{3} \(95% confidence\); accountant \((PRV|RDP)\): epsilon 0\.977 at delta 0\.00001\n  \d+ of 60 guesses right over 300 canaries; 16 steps, q 0\.25, noise 4\.2, clip 1\n$/);
  const control = fedmed('--canaries', '300', '--control', 'no-noise', '--json');
  assert.is(control.status, 0, control.stderr);
  const result = JSON.parse(control.stdout);
  assert.equal([result.settings.control, result.guesses], ['no-noise', 60]);
  assert.ok(result.lowerBound > 2 * result.accountantEpsilon, `${result.lowerBound}`);
});

test('--help counts the guesses as the audit makes them: a fifth of the canaries (it said a tenth)', () => {
  const help = fedmed('--help');
  assert.match(help.stdout, /--canaries M +canaries M \(it guesses on a fifth of them/);
  const result = JSON.parse(fedmed('--canaries', '300', '--json').stdout);
  assert.equal([result.guesses, 2 * result.settings.guesses], [300 / 5, 300 / 5], 'k guesses "in" and k "out", k a tenth of the canaries');
});

test('a bad control or sampling rate is a one-line usage error', () => {
  const out = fedmed('--control', 'nothing');
  assert.is(out.status, 2);
  assert.match(out.stderr, /--control is one of none\|no-noise\|no-clip/);
  const rate = fedmed('--canaries', '20', '--q', '1.5');
  assert.is(rate.status, 2);
  assert.is(rate.stderr, 'fedmed: --q must be in (0, 1], got 1.5\n');
  const few = fedmed('--canaries', '1');
  assert.equal([few.status, few.stderr], [2, 'fedmed: --canaries must be at least 10, got 1\n']);
});

test.run();
