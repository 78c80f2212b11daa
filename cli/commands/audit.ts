/**
 * fedmed audit: an empirical lower bound on DP-SGD's epsilon, measured from
 * the sampler and sanitiser training uses (fed/dp/audit.ts), printed beside
 * the accountant's epsilon for the same steps. A bound above the accountant's
 * means the implementation leaks more than it claims.
 */
import { AUDIT_DEFAULTS, auditControls, auditDpSgd, type AuditControl } from '../../fed/dp/audit.js';
import { setBackend } from '../../engine/index.js';
import { PrivacyParameterError } from '../../fed/dp/accountant.js';
import { boundText } from '../../fed/dp/rounding.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { backendFlag } from '../backend-flags.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: "measure a lower bound on DP-SGD's epsilon from the implementation itself",
  usage: [
    'usage: fedmed audit [--canaries M] [--steps T] [--q Q] [--noise S] [--control none|no-noise|no-clip] [--json]',
    '',
    "Runs T steps of training's DP-SGD (Poisson sampling; generators and discriminators",
    'clipped as two groups, each to its share of C, and noised) on M gradient canaries',
    '(present in both groups), each put in the data with probability 1/2, and guesses',
    'from the noisy gradients which were in (Steinke, Nasr, Jagielski 2023: one run, many',
    'canaries).',
    'The right guesses give an epsilon the implementation provably exceeds, at 95%',
    "confidence. It must stay below the accountant's epsilon, printed beside it. The",
    'controls break the step on purpose (no noise, or clipping skipped): their bound',
    "should then be well above the accountant's, which shows the audit would notice.",
  ].join('\n'),
  flags: {
    canaries: { type: 'int', help: 'canaries M (it guesses on a fifth of them: the tenth it ranks most likely in, the tenth least)', default: AUDIT_DEFAULTS.canaries, placeholder: 'M', min: 10 },
    steps: { type: 'int', help: 'steps T', default: AUDIT_DEFAULTS.steps, placeholder: 'T' },
    q: { type: 'number', help: 'sampling rate', default: AUDIT_DEFAULTS.q, placeholder: 'Q' },
    noise: { type: 'number', help: 'noise multiplier sigma (the default gives epsilon about 1)', default: AUDIT_DEFAULTS.noise, placeholder: 'S' },
    delta: { type: 'number', help: 'delta', default: AUDIT_DEFAULTS.delta, placeholder: 'D' },
    seed: { type: 'int', help: 'seed of the canaries, sampling and noise', default: AUDIT_DEFAULTS.seed },
    control: { type: 'string', help: 'audit the real step, or a deliberately broken one', default: 'none', choices: auditControls },
    backend: backendFlag,
    json: { type: 'boolean', help: 'print JSON' },
  },
  async run(flags) {
    await setBackend(flags.backend as 'auto');
    const result = await auditDpSgd({
      canaries: flags.canaries as number,
      steps: flags.steps as number,
      q: flags.q as number,
      noise: flags.noise as number,
      delta: flags.delta as number,
      seed: flags.seed as number,
      control: flags.control as AuditControl,
    }).catch((e: unknown) => {
      if (e instanceof PrivacyParameterError) throw new UsageError(`--${e.parameter} ${e.requirement}`);
      throw e;
    });
    if (flags.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const { settings: s } = result;
    const what = s.control === 'none' ? 'the DP-SGD step' : `a control with ${s.control === 'no-noise' ? 'the noise switched off' : 'clipping skipped'}`;
    console.log(`audit of ${what}: epsilon >= ${boundText(result.lowerBound, { decimals: 3 }, 'down')} (95% confidence); accountant (${result.accountant.toUpperCase()}): epsilon ${boundText(result.accountantEpsilon, { decimals: 3 })} at delta ${s.delta}`);
    console.log(`  ${result.correct} of ${result.guesses} guesses right over ${result.canaries} canaries; ${s.steps} steps, q ${s.q}, noise ${s.noise}, clip ${s.clip}`);
    if (s.control === 'none' && result.lowerBound > result.accountantEpsilon) {
      // A 95% bound lands above the true epsilon in at most 1 audit of 20 by chance, so one such run is a warning, not proof.
      console.log('  the measured bound exceeds the accountant: a sound step does this in at most 1 audit of 20 by chance; if it happens again with');
      console.log('  another --seed (or more --canaries), the sampler or the sanitiser leaks more than accounted');
    }
  },
};
