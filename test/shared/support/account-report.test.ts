import { describe, expect, it, vi } from 'vitest';
import type { DriftLifecycle } from '../../../shared/core/lifecycle.js';
import { auditRecord } from '../../../shared/pipeline/audit.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import { accountReport } from '../../../shared/support/account-report.js';
import { fakeDeps } from '../../support/fakes.js';
import { auditRowsFor, runContext } from '../../support/runs.js';
import { healthyView, stripeItem, viewWith } from '../../support/views.js';

const ACCOUNT = 'acc_1';
const BASE = 'https://dashboard.stripe.com/test';
const run = runContext;
const row = auditRowsFor(ACCOUNT);
const applied = () =>
  row({
    outcome: 'applied',
    stripeWrites: 2,
    changeIds: ['chg_a', 'chg_b'],
    result: {
      changes: [
        { id: 'chg_a', target: 'sub_2' },
        { id: 'chg_b', target: 'in_7' },
        { id: 'chg_c', target: 'cus_1' },
      ],
    },
  });
const halt = (finishedAt: string, errorCode = 'kill_switch') =>
  auditRecord({
    run: run({ runId: `sched-stripe-${finishedAt.slice(0, 10)}`, snapshotDate: finishedAt.slice(0, 10) }),
    stage: 'detect',
    outcome: 'halted',
    accountId: null,
    errorCode,
    reason: 'the kill switch was on',
    startedAt: new Date(finishedAt),
    finishedAt: new Date(finishedAt),
  });

const lifecycle: DriftLifecycle = {
  status: 'healed',
  signature: 'abc',
  firstSeenAt: '2026-11-24T06:01:00.000Z',
  lastSeenAt: '2026-11-24T06:01:00.000Z',
  healedAt: '2026-11-24T06:01:00.000Z',
  attempts: 1,
  lastOutcome: 'applied',
  lastRunId: 'sched-stripe-2026-11-24',
  lastTrigger: 'scheduled',
};

const boom = (service: 'firestore' | 'subs-api' | 'bigquery') => () =>
  Promise.reject(new UpstreamError(`${service} said 503`, service, true, 503));

function setup(options: { view?: boolean } = {}) {
  const f = fakeDeps(options.view === false ? undefined : healthyView());
  f.support.rows.push(applied());
  f.lifecycle.records.set(`stripe_${ACCOUNT}`, lifecycle);
  return f;
}

describe('accountReport', () => {
  it('reads the audit, the lifecycle, subs-api and halts into one report', async () => {
    const { deps } = setup();
    const report = await accountReport(deps, ACCOUNT, { live: false, dashboardBase: BASE });
    expect(report.accountId).toBe(ACCOUNT);
    expect(report.problems).toEqual([]);
    expect(report.attempts).toHaveLength(1);
    expect(report.explanation.verdict).toBe('healed');
    expect(report.explanation.sentence).toMatch(/healed on 2026-11-24: 2 changes written to Stripe/);
    expect(report.explanation.sentence).not.toContain('Live now');
    expect(report.lifecycle).toEqual({ stripe: lifecycle, www: null });
    expect(report.customerId).toBe('cus_1');
    expect(report.live).toBeNull();
    expect(report.generatedAt).toMatch(/^2026-11-24T12:00:\d\d\.000Z$/);
  });

  it("links the subs-api customer first, then the plan-apply attempts' subscription and invoice targets", async () => {
    const { deps } = setup();
    const report = await accountReport(deps, ACCOUNT, { live: false, dashboardBase: `${BASE}/` });
    expect(report.links).toEqual([
      { kind: 'customer', id: 'cus_1', url: `${BASE}/customers/cus_1` },
      { kind: 'subscription', id: 'sub_2', url: `${BASE}/subscriptions/sub_2` },
      { kind: 'invoice', id: 'in_7', url: `${BASE}/invoices/in_7` },
    ]);
  });

  it('links no customer when subs-api does not know the account', async () => {
    const { deps } = setup({ view: false });
    const report = await accountReport(deps, ACCOUNT, { live: false, dashboardBase: BASE });
    expect(report.customerId).toBeNull();
    expect(report.problems).toEqual([]);
    expect(report.links.map((l) => l.id)).toEqual(['sub_2', 'in_7']);
  });

  type Fakes = ReturnType<typeof setup>;
  type Report = Awaited<ReturnType<typeof accountReport>>;
  it.each([
    {
      name: 'the stripe lifecycle',
      break: (f: Fakes) => {
        const get = f.lifecycle.get.bind(f.lifecycle);
        vi.spyOn(f.lifecycle, 'get').mockImplementation((system, id) =>
          system === 'stripe' ? boom('firestore')() : get(system, id),
        );
      },
      problem: /^drift lifecycle \(stripe\): firestore_error — firestore said 503$/,
      check: (r: Report) => {
        expect(r.lifecycle.stripe).toBeNull();
        expect(r.problems).toHaveLength(1);
        expect(r.customerId).toBe('cus_1');
      },
    },
    {
      name: 'both lifecycles',
      break: (f: Fakes) => void vi.spyOn(f.lifecycle, 'get').mockImplementation(boom('firestore')),
      problem: /^drift lifecycle \(www\): firestore_error/,
      check: (r: Report) => {
        expect(r.lifecycle).toEqual({ stripe: null, www: null });
        expect(r.problems).toHaveLength(2);
      },
    },
    {
      name: 'subs-api',
      break: (f: Fakes) => void vi.spyOn(f.deps.subsApi, 'account').mockImplementation(boom('subs-api')),
      problem: /^subs-api: subs-api_error — subs-api said 503$/,
      check: (r: Report) => {
        expect(r.customerId).toBeNull();
        // The plan-apply targets still link.
        expect(r.links.map((l) => l.id)).toEqual(['sub_2', 'in_7']);
        expect(r.lifecycle.stripe).toEqual(lifecycle);
      },
    },
    {
      name: 'the halts',
      break: (f: Fakes) => void vi.spyOn(f.support, 'halts').mockImplementation(boom('bigquery')),
      problem: /^halted runs: bigquery_error — bigquery said 503$/,
      check: (r: Report) => {
        expect(r.halts).toEqual([]);
        expect(r.problems).toHaveLength(1);
        expect(r.customerId).toBe('cus_1');
      },
    },
    {
      name: 'the tickets',
      break: (f: Fakes) => void vi.spyOn(f.support, 'ticketsNaming').mockImplementation(boom('bigquery')),
      problem: /^tickets: bigquery_error — bigquery said 503$/,
      check: (r: Report) => {
        expect(r.tickets).toEqual([]);
        expect(r.problems).toHaveLength(1);
      },
    },
    {
      name: 'subs-api with an unexpected error',
      break: (f: Fakes) =>
        void vi.spyOn(f.deps.subsApi, 'account').mockRejectedValue(new TypeError('socket hang up')),
      problem: /^subs-api: unexpected — socket hang up$/,
      check: (r: Report) => expect(r.customerId).toBeNull(),
    },
  ])('names a failed read of $name as a problem and still builds the report', async (c) => {
    const f = setup();
    c.break(f);
    const report = await accountReport(f.deps, ACCOUNT, { live: false, dashboardBase: BASE });
    expect(report.problems.some((p) => c.problem.test(p))).toBe(true);
    // The answer is still there: the audit was read.
    expect(report.explanation.verdict).toBe('healed');
    expect(report.attempts).toHaveLength(1);
    c.check(report);
  });

  it('lists the tickets that name the account, newest first, at most 20', async () => {
    const f = setup();
    for (let i = 1; i <= 22; i += 1)
      f.support.tickets.push({
        key: `BILL-${i}`,
        created: `2026-11-${String(i).padStart(2, '0')}T09:00:00.000+0000`,
        atom: 'double_charge',
        molecule: i % 2 === 0 ? 'billing_error' : null,
        taxonomyVersion: 'v3',
        accountIds: [ACCOUNT],
      });
    f.support.tickets.push({
      key: 'BILL-other',
      created: '2026-11-30T09:00:00.000+0000',
      atom: 'x',
      molecule: null,
      taxonomyVersion: 'v3',
      accountIds: ['acc_2'],
    });
    const report = await accountReport(f.deps, ACCOUNT, { live: false, dashboardBase: BASE });
    expect(report.tickets).toHaveLength(20);
    expect(report.tickets[0]).toEqual({
      key: 'BILL-22',
      created: '2026-11-22T09:00:00.000+0000',
      atom: 'double_charge',
      molecule: 'billing_error',
      taxonomyVersion: 'v3',
    });
    expect(report.tickets.map((t) => t.key)).not.toContain('BILL-other');
  });

  it('rejects when the audit itself cannot be read (the answer has no source)', async () => {
    const f = setup();
    vi.spyOn(f.support, 'accountAttempts').mockImplementation(boom('bigquery'));
    await expect(accountReport(f.deps, ACCOUNT, { live: false, dashboardBase: BASE })).rejects.toThrow(
      /bigquery said 503/,
    );
  });

  it('looks for halts over the last 14 days by default, or as asked, and tells them in the answer', async () => {
    const f = setup();
    f.support.rows.push(halt('2026-11-24T07:00:00.000Z'), halt('2026-11-01T07:00:00.000Z'));
    const spy = vi.spyOn(f.support, 'halts');
    const report = await accountReport(f.deps, ACCOUNT, { live: false, dashboardBase: BASE });
    const since = spy.mock.calls[0]?.[0] ?? '';
    expect(Date.parse(report.generatedAt) - Date.parse(since)).toBe(14 * 86_400_000);
    expect(report.halts.map((h) => h.run_id)).toEqual(['sched-stripe-2026-11-24']);
    expect(report.explanation.sentence).toMatch(
      /Since then the scheduled run of 2026-11-24 halted: the kill switch was on\./,
    );

    const longer = await accountReport(f.deps, ACCOUNT, {
      live: false,
      dashboardBase: BASE,
      haltsLookBackDays: 30,
    });
    expect(longer.halts.map((h) => h.run_id).sort()).toEqual([
      'sched-stripe-2026-11-01',
      'sched-stripe-2026-11-24',
    ]);
  });

  it('with live: reads every store, plans, lists the sources and adds the live clause', async () => {
    const { deps, stripe } = setup();
    const report = await accountReport(deps, ACCOUNT, { live: true, dashboardBase: BASE });
    expect(report.problems).toEqual([]);
    expect(report.live).not.toBeNull();
    expect(report.live?.plan?.outcome).toBe('noop');
    expect(report.live?.plan?.accountId).toBe(ACCOUNT);
    expect(report.live?.sources.map(([name]) => name)).toEqual([
      'ope',
      'stripe.customer',
      'stripe.subscriptions',
      'stripe.invoices',
      'stripe.paymentMethods',
      'subs_account',
      'subs_customer',
      'subs_dunning',
      'billing_prod',
      'cf_prod',
      'gates',
    ]);
    for (const [, at] of report.live?.sources ?? []) expect(Number.isNaN(Date.parse(at))).toBe(false);
    expect(report.live?.asOf).toMatch(/^2026-11-24T/);
    expect(report.explanation.sentence).toMatch(/ Live now: no drift — the stores agree\.$/);
    // The live view's subscriptions and invoices are linked too, each once, after the customer.
    expect(report.links.map((l) => `${l.kind}:${l.id}`)).toEqual([
      'customer:cus_1',
      'subscription:sub_1',
      'subscription:sub_2',
      'invoice:in_1',
      'invoice:in_7',
    ]);
    // Writes nothing.
    expect(stripe.writes).toEqual([]);
  });

  it('with live on a drifted account: the live plan has the changes and the sentence says so', async () => {
    const f = fakeDeps(viewWith((v) => void (stripeItem(v).quantity = 4)));
    const report = await accountReport(f.deps, ACCOUNT, { live: true, dashboardBase: BASE });
    expect(report.live?.plan?.outcome).toBe('changes');
    expect(report.live?.plan?.changes.length).toBeGreaterThan(0);
    expect(report.explanation.verdict).toBe('no_record');
    expect(report.explanation.sentence).toMatch(/Live now: drift, and the pipeline would apply 1 change\.$/);
    expect(f.stripe.writes).toEqual([]);
  });

  it('with live on an account subs-api does not know: no plan, no sources, and says so', async () => {
    const { deps } = setup({ view: false });
    const report = await accountReport(deps, ACCOUNT, { live: true, dashboardBase: BASE });
    expect(report.live).toMatchObject({ plan: null, sources: [] });
    expect(report.live?.asOf).toMatch(/^2026-11-24T12:00/);
    expect(report.explanation.sentence).toMatch(/Live now: subs-api does not know the account\.$/);
  });

  it('with live when the live gather fails: a problem, no live section, the answer still there', async () => {
    const f = setup();
    vi.spyOn(f.deps.ope, 'subscriptions').mockRejectedValue(
      new UpstreamError('ope is down', 'ope', true, 503),
    );
    const report = await accountReport(f.deps, ACCOUNT, { live: true, dashboardBase: BASE });
    expect(report.live).toBeNull();
    expect(report.problems).toEqual(['live gather: ope_error — ope is down']);
    expect(report.explanation.verdict).toBe('healed');
    expect(report.explanation.sentence).not.toContain('Live now');
  });

  it('without live never reads the live stores', async () => {
    const f = setup();
    const read = vi.spyOn(f.stripe, 'readAccount');
    const ope = vi.spyOn(f.deps.ope, 'subscriptions');
    await accountReport(f.deps, ACCOUNT, { live: false, dashboardBase: BASE });
    expect(read).not.toHaveBeenCalled();
    expect(ope).not.toHaveBeenCalled();
  });
});
