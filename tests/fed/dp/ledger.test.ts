import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AccountantDeclined, composedEpsilon, epsilonPoisson, epsilonWithoutReplacement, PrivacyParameterError } from '../../../fed/dp/accountant.js';
import { GroupAccountant } from '../../../fed/dp/group_accountant.js';
import { groupPrivacy, PrivacyLedger, tightestEpsilon } from '../../../fed/dp/ledger.js';
import { MAX_GRID_POINTS, prvEpsilon } from '../../../fed/dp/prv.js';

test('per client and round: total steps and the epsilon of all of them so far', () => {
  const ledger = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' });
  // Two hospitals with different local dataset sizes: q = batch / local size.
  for (let round = 1; round <= 3; round++) {
    ledger.record({ client: 'guys', round, steps: 50, q: 4 / 200, noise: 1.07 });
    ledger.record({ client: 'hh', round, steps: 30, q: 4 / 120, noise: 1.07 });
  }
  assert.is(ledger.entries.length, 6);
  const guys = ledger.entries.filter((e) => e.client === 'guys');
  guys.forEach((entry, i) => {
    assert.is(entry.totalSteps, 50 * (i + 1));
    const run = { noise: 1.07, q: 4 / 200, steps: 50 * (i + 1) };
    const rdp = epsilonPoisson({ ...run, delta: 1e-5 });
    const prv = prvEpsilon([run], { delta: 1e-5 }).upper;
    assert.is(entry.epsilon, Math.min(rdp.epsilon, prv), 'the tighter sound bound');
    assert.is(entry.accountant, prv < rdp.epsilon ? 'prv' : 'rdp');
    assert.is(entry.order, rdp.order);
  });
  assert.ok(guys[0]!.epsilon < guys[1]!.epsilon && guys[1]!.epsilon < guys[2]!.epsilon);
  assert.is(ledger.latest('hh')!.totalSteps, 90);
  assert.is(ledger.latest('iop'), undefined);
});

test('a round with other noise composes with the earlier ones; a round sat out changes nothing', () => {
  const ledger = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' });
  ledger.record({ client: 'a', round: 1, steps: 100, q: 0.02, noise: 1 });
  const idle = ledger.record({ client: 'a', round: 2, steps: 0, q: 0.02, noise: 1 });
  assert.is(idle.epsilon, ledger.entries[0]!.epsilon);
  assert.is(idle.totalSteps, 100);
  const last = ledger.record({ client: 'a', round: 3, steps: 100, q: 0.02, noise: 2 });
  const runs = [{ noise: 1, q: 0.02, steps: 100 }, { noise: 2, q: 0.02, steps: 100 }];
  assert.is(last.epsilon, tightestEpsilon(runs, { delta: 1e-5 }).epsilon);
  assert.ok(last.epsilon <= composedEpsilon(runs, { delta: 1e-5 }).epsilon);
});

test("PRV declining (noise 3e-4: its grid cannot keep the step's mean) leaves RDP's bound, named; one accountant asked for gives its own", () => {
  const runs = [{ noise: 3e-4, q: 0.01, steps: 1 }];
  assert.throws(() => prvEpsilon(runs, { delta: 1e-5 }), (e: unknown) => e instanceof AccountantDeclined && /q 0\.01 with noise 0\.0003/.test((e as Error).message));
  const spent = tightestEpsilon(runs, { delta: 1e-5 });
  assert.equal(spent, { ...composedEpsilon(runs, { delta: 1e-5 }), accountant: 'rdp' });
  assert.throws(() => tightestEpsilon(runs, { delta: 1e-5 }, 'prv'), (e: unknown) => e instanceof AccountantDeclined, 'asked for alone, PRV declines aloud');
  const row = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' }).record({ client: 'a', round: 1, ...runs[0]! });
  assert.is(row.accountant, 'rdp');
  assert.is(row.epsilon, spent.epsilon);
  const usual = [{ noise: 1, q: 0.02, steps: 100 }];
  assert.is(tightestEpsilon(usual, { delta: 1e-5 }, 'rdp').epsilon, composedEpsilon(usual, { delta: 1e-5 }).epsilon);
  assert.is(tightestEpsilon(usual, { delta: 1e-5 }, 'prv').epsilon, prvEpsilon(usual, { delta: 1e-5 }).upper);
});

test("PRV at tiny noise (q 0.04, noise 0.01): its step's mean is NaN, and it declines saying so, not 'off by NaN'", () => {
  const runs = [{ noise: 0.01, q: 0.04, steps: 100 }];
  assert.throws(() => prvEpsilon(runs, { delta: 1e-5 }), (e: unknown) => e instanceof AccountantDeclined && /noise 0\.01: the step's mean privacy loss overflows floating point/.test((e as Error).message) && !/NaN/.test((e as Error).message));
  assert.is(tightestEpsilon(runs, { delta: 1e-5 }).accountant, 'rdp');
});

test('a huge step count (10^8: PRV took minutes) gets RDP\'s bound: PRV declines before building its grid, past its cap', () => {
  const runs = [{ noise: 1.5, q: 0.04, steps: 1e8 }];
  assert.throws(() => prvEpsilon(runs, { delta: 1e-5 }), (e: unknown) => e instanceof AccountantDeclined && new RegExp(`${1e8} steps: .*past its cap of ${MAX_GRID_POINTS}`).test((e as Error).message));
  assert.equal(tightestEpsilon(runs, { delta: 1e-5 }), { ...composedEpsilon(runs, { delta: 1e-5 }), accountant: 'rdp' });
  const row = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' }).record({ client: 'a', round: 1, ...runs[0]! });
  assert.is(row.accountant, 'rdp');
  assert.ok(row.epsilon > 0 && Number.isFinite(row.epsilon));
});

test('without-replacement ledgers use the analytical bound and its conversion', () => {
  const ledger = new PrivacyLedger({ delta: 1e-5, sampling: 'without-replacement' });
  assert.is(ledger.conversion, 'mironov2017');
  const entry = ledger.record({ client: 'c', round: 1, steps: 240, q: 1 / 4, noise: 1.07 });
  assert.is(entry.epsilon, epsilonWithoutReplacement({ noise: 1.07, q: 1 / 4, steps: 240, delta: 1e-5 }).epsilon);
});

test('CSV: a header, one line per row, fields quoted where needed; JSON: the same rows', () => {
  const ledger = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' });
  const entry = ledger.record({ client: 'site, "north"', round: 1, steps: 10, q: 0.5, noise: 2 });
  const lines = ledger.toCsv().trimEnd().split('\n');
  assert.is(lines[0], 'client,round,unit,steps,total_steps,q,noise,delta,epsilon,guarantee,accountant,order,subject_share,subject_epsilon,subject_delta,subject_method');
  assert.is(lines[1], `"site, ""north""",1,slice,10,10,0.5,2,0.00001,${entry.epsilon},yes,${entry.accountant},${entry.order},1,${entry.epsilon},0.00001,privacy unit`);
  const json = JSON.parse(JSON.stringify(ledger));
  assert.equal(json, { delta: 1e-5, unit: 'slice', subjectShare: 1, sampling: 'poisson', accountants: ['rdp', 'prv'], conversion: 'balle2020', noisedParameters: null, guarantee: true, caveat: null, entries: [entry] });
});

test('a ledger with a caveat (GS-WGAN) computes the same epsilon and marks it as no guarantee in JSON and CSV', () => {
  const round = { client: 'a', round: 1, steps: 10, q: 0.5, noise: 2 };
  const sound = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' }).record(round);
  const marked = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', caveat: 'no guarantee: a test' });
  assert.equal(marked.record(round), sound);
  const json = marked.toJSON();
  assert.equal([json.guarantee, json.caveat], [false, 'no guarantee: a test']);
  assert.match(marked.toCsv().split('\n')[1]!, new RegExp(`,${sound.epsilon},no,`));
});

test('a slice-level ledger bounds a whole subject by the subject accountant, at the run\'s delta; group privacy is the fallback; a subject-level one needs no group', () => {
  const round = { client: 'a', round: 1, steps: 100, q: 0.01, noise: 1.5 };
  const entry = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', subjectShare: 3 }).record(round);
  assert.equal([entry.subjectMethod, entry.subjectDelta], ['subject accountant', 1e-5]);
  assert.is(entry.subjectEpsilon, new GroupAccountant(3).epsilon([round], 1e-5).upper);
  // Above one slice's; here above group privacy's 3 eps too, which holds only at its larger delta 3 e^(2 eps) delta.
  assert.ok(entry.subjectEpsilon > entry.epsilon);
  const large = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', subjectShare: 31 }).record({ client: 'a', round: 1, steps: 200, q: 0.1, noise: 1.5 });
  assert.equal([large.subjectMethod, large.subjectDelta], ['subject accountant', 1e-5]);
  assert.ok(large.subjectEpsilon > 31 && large.subjectEpsilon < Infinity, `${large.subjectEpsilon}: large, but a bound, where group privacy gives none`);
  assert.is(groupPrivacy(large.epsilon, 1e-5, 31).delta, 1);
  // Without replacement the subject accountant does not apply: (3 eps, 3 e^(2 eps) delta) (Dwork and Roth 2014, Theorem 2.2, with delta).
  const fixed = new PrivacyLedger({ delta: 1e-5, subjectShare: 3, sampling: 'without-replacement' }).record(round);
  assert.equal([fixed.subjectMethod, fixed.subjectEpsilon], ['group privacy', 3 * fixed.epsilon]);
  assert.ok(Math.abs(fixed.subjectDelta - 3 * Math.exp(2 * fixed.epsilon) * 1e-5) < 1e-12);
  assert.is(new PrivacyLedger({ delta: 1e-5, subjectShare: 60, sampling: 'without-replacement' }).record({ ...round, steps: 1000, q: 0.1, noise: 1 }).subjectDelta, 1);
  const subjects = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', unit: 'subject', subjectShare: 60 });
  assert.is(subjects.subjectShare, 1);
  const own = subjects.record(round);
  assert.equal([own.subjectEpsilon, own.subjectDelta, own.subjectMethod], [own.epsilon, 1e-5, 'privacy unit']);
});

test("each client's rows use its own subject share where its rounds give one, the ledger's otherwise; the CSV names it", () => {
  const round = { round: 1, steps: 100, q: 0.01, noise: 1.5 };
  const ledger = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', subjectShare: 31 });
  const small = ledger.record({ ...round, client: 'small', subjectShare: 3 });
  const usual = ledger.record({ ...round, client: 'usual' });
  assert.equal([small.subjectShare, usual.subjectShare], [3, 31]);
  assert.is(small.subjectEpsilon, new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', subjectShare: 3 }).record({ ...round, client: 'a' }).subjectEpsilon);
  assert.ok(small.subjectEpsilon < usual.subjectEpsilon, `${small.subjectEpsilon} against ${usual.subjectEpsilon}`);
  const [header, first] = ledger.toCsv().split('\n');
  assert.is(first!.split(',')[header!.split(',').indexOf('subject_share')], '3');
  assert.throws(() => ledger.record({ ...round, client: 'bad', subjectShare: 0 }), /subjectShare must be a whole number >= 1, got 0/);
  assert.is(new PrivacyLedger({ delta: 1e-5, sampling: 'poisson', unit: 'subject' }).record({ ...round, client: 'a', subjectShare: 5 }).subjectShare, 1, 'a subject is its own group');
});

test('bad rounds are errors naming what is wrong', () => {
  const ledger = new PrivacyLedger({ delta: 1e-5, sampling: 'poisson' });
  ledger.record({ client: 'a', round: 2, steps: 1, q: 0.1, noise: 1 });
  assert.throws(() => ledger.record({ client: 'a', round: 2, steps: 1, q: 0.1, noise: 1 }), /round must grow for each client: client a had round 2, then 2/);
  assert.throws(() => ledger.record({ client: 'b', round: 1, steps: -1, q: 0.1, noise: 1 }), /steps must be a whole number >= 0/);
  assert.throws(() => ledger.record({ client: 'b', round: 1, steps: 1, q: 2, noise: 1 }), /q must be in \(0, 1\]/);
  assert.throws(() => ledger.record({ client: 'b', round: 1, steps: 0, q: 0, noise: 1 }), /q must be in/); // checked even when idle
  assert.is(ledger.latest('b'), undefined); // nothing half-recorded
  assert.throws(() => new PrivacyLedger({ delta: 2, sampling: 'poisson' }), (e: unknown) => e instanceof PrivacyParameterError);
});

test.run();
