/**
 * fedmed privacy: the (epsilon, delta) that DP-SGD's subsampled Gaussian steps
 * spend, from the noise multiplier, sampling rate and step count, and the
 * Renyi order that gave it. One call to the accountant (fed/dp/accountant.ts).
 */
import {
  DEFAULT_ORDERS,
  defaultConversion,
  PrivacyParameterError,
  privacyEpsilon,
  samplings,
  type Sampling,
} from '../../fed/dp/accountant.js';
import { UsageError, type FlagValues } from '../args.js';
import type { Command } from '../command.js';

const DESCRIPTIONS: Record<Sampling, string> = {
  poisson: 'Poisson-sampled Gaussian, RDP of Mironov et al. 2019, converted as Balle et al. 2020',
  'without-replacement':
    'Gaussian on batches drawn without replacement, RDP bound of Wang et al. 2019, converted as autodp (Mironov 2017)',
};

export const privacyCommand: Command = {
  name: 'privacy',
  summary: 'epsilon spent by DP-SGD from noise, sampling rate and steps',
  usage: [
    'usage: fedmed privacy --noise S --q Q --steps T [--delta D] [--sampling poisson|without-replacement] [--json]',
    '',
    'Prints the epsilon of (epsilon, delta)-DP after T steps of the subsampled Gaussian',
    'mechanism with noise multiplier S (noise std / clipping norm) and sampling rate Q',
    '(batch / local dataset size), and the Renyi order that gives it. The paper\'s table:',
    '--sampling without-replacement --q 1/clients --steps 240.',
  ].join('\n'),
  flags: {
    noise: { type: 'number', help: 'noise multiplier sigma, >= 0', placeholder: 'S' },
    q: { type: 'number', help: 'sampling rate, in (0, 1]', placeholder: 'Q' },
    steps: { type: 'int', help: 'number of steps (compositions), >= 1', placeholder: 'T' },
    delta: { type: 'number', help: 'delta, in (0, 1)', default: 1e-5, placeholder: 'D' },
    sampling: { type: 'string', help: 'how batches are drawn', default: 'poisson', choices: samplings },
    json: { type: 'boolean', help: 'print JSON' },
  },
  async run(flags) {
    const query = {
      noise: required(flags, 'noise'),
      q: required(flags, 'q'),
      steps: required(flags, 'steps'),
      delta: flags.delta as number,
      sampling: flags.sampling as Sampling,
    };
    let spent;
    try {
      spent = privacyEpsilon(query);
    } catch (e) {
      if (e instanceof PrivacyParameterError) throw new UsageError(`--${e.parameter} ${e.requirement}`);
      throw e;
    }
    if (flags.json) {
      // JSON has no Infinity: epsilon and order are null when no noise is added.
      console.log(JSON.stringify({ ...spent, ...query, conversion: defaultConversion(query.sampling) }, null, 2));
      return;
    }
    if (spent.epsilon === Infinity) {
      console.log(`epsilon = inf at delta = ${query.delta}: without noise there is no privacy`);
      return;
    }
    console.log(`epsilon = ${significant(spent.epsilon)} at delta = ${query.delta} (best Renyi order ${significant(spent.order)})`);
    console.log(`  ${query.steps} steps, noise ${query.noise}, q ${query.q}: ${DESCRIPTIONS[query.sampling]}`);
    if (query.sampling === 'poisson' && spent.order === DEFAULT_ORDERS.at(-1)) {
      console.log(`  the best order is the grid's largest: higher orders could give a smaller epsilon`);
    }
  },
};

function required(flags: FlagValues, name: string): number {
  const value = flags[name];
  if (value === undefined) throw new UsageError(`--${name} is required; see fedmed privacy --help`);
  return value as number;
}

/** Six significant digits, without trailing zeros. */
function significant(x: number): string {
  return String(Number(x.toPrecision(6)));
}
