import { describe, expect, it } from 'vitest';
import type { AccountViewMessage, RunContext } from '../../../shared/contracts/messages.js';
import type { AccountView } from '../../../shared/domain/account-view.js';
import { planAndApply } from '../../../shared/pipeline/plan-apply.js';
import { fakeDeps, stripeFailure } from '../../support/fakes.js';
import { customer, healthyView, stripeItem, viewWith } from '../../support/views.js';

const run: RunContext = {
  runId: 'sched-stripe-2026-11-24',
  system: 'stripe',
  snapshotDate: '2026-11-24',
  trigger: 'scheduled',
  requestedBy: null,
  dryRun: false,
};
const message = (
  view: ReturnType<typeof healthyView>,
  overrides: Partial<RunContext> = {},
): AccountViewMessage => ({
  schemaVersion: 1,
  kind: 'account_view',
  run: { ...run, ...overrides },
  view,
  publishedAt: '2026-11-24T12:00:00Z',
});
const drifted = () =>
  viewWith((v) => {
    stripeItem(v).quantity = 3;
    customer(v).metadata.bad_debt = 'true';
  });

describe('planAndApply: the drift lifecycle', () => {
  it.each([
    ['applied', (f: ReturnType<typeof fakeDeps>) => f, 'healed'],
    [
      'dry_run',
      async (f: ReturnType<typeof fakeDeps>) => {
        await f.control.updateConfig({ dryRun: true });
        return f;
      },
      'open',
    ],
  ])('a final %s records the drift as %s, on the audit row too', async (outcome, prepare, status) => {
    const view = drifted();
    const f = await prepare(fakeDeps(view));
    const r = await planAndApply(f.deps, message(view), 'msg-1');
    expect(r.outcome).toBe(outcome);
    const record = await f.lifecycle.get('stripe', 'acc_1');
    expect(record).toMatchObject({ status, attempts: 1, lastRunId: run.runId, lastTrigger: 'scheduled' });
    expect(record?.signature).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(f.publisher.audits()[0]?.result_json ?? '{}').lifecycle).toEqual(record);
  });

  it('an account that needs nothing has no lifecycle; one that was open is cleared', async () => {
    const view = healthyView();
    const f = fakeDeps(view);
    await planAndApply(f.deps, message(view), 'msg-1');
    expect(await f.lifecycle.get('stripe', 'acc_1')).toBeNull();
    await f.lifecycle.observe('stripe', 'acc_1', {
      at: '2026-11-23T06:00:00Z',
      signature: 'old',
      outcome: 'blocked',
      runId: 'earlier',
      trigger: 'scheduled',
    });
    await planAndApply(f.deps, message(view, { runId: 'later' }), 'msg-2');
    expect((await f.lifecycle.get('stripe', 'acc_1'))?.status).toBe('cleared');
  });

  it('a lifecycle store that fails after the writes does not turn applied into failed', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    f.lifecycle.observe = async () => {
      throw new Error('firestore unavailable');
    };
    const r = await planAndApply(f.deps, message(view), 'msg-1');
    expect([r.outcome, r.disposition, r.stripeWrites]).toEqual(['applied', 'ack', 2]);
    expect(JSON.parse(f.publisher.audits()[0]?.result_json ?? '{}').lifecycle).toBeUndefined();
  });

  it('a halt says nothing of the drift: no lifecycle change', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    await f.control.updateConfig({ killSwitch: true });
    await planAndApply(f.deps, message(view), 'msg-1');
    expect(await f.lifecycle.get('stripe', 'acc_1')).toBeNull();
  });
});

describe('planAndApply', () => {
  it('applies one write per object with deterministic keys, stamps the run, audits once', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    const r = await planAndApply(f.deps, message(view), 'msg-1');
    expect([r.outcome, r.disposition, r.stripeWrites]).toEqual(['applied', 'ack', 2]);
    expect(f.stripe.writes.map((w) => w.change.kind).sort()).toEqual([
      'customer_update',
      'subscription_update',
    ]);
    for (const w of f.stripe.writes) {
      expect(w.key).toMatch(/^driftcontrol-[0-9a-f]{48}$/);
      expect((w.params.metadata as Record<string, string>).driftcontrol_run_id).toBe(run.runId);
    }
    const audits = f.publisher.audits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      outcome: 'applied',
      failed: false,
      stripe_writes: 2,
      account_id: 'acc_1',
    });
    expect(f.control.healed.has('acc_1')).toBe(true);
    expect(f.control.leases.size).toBe(0);
  });

  it('redelivered three times: one write per object, one audit row id', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    for (let attempt = 1; attempt <= 3; attempt++) await planAndApply(f.deps, message(view), 'msg-1');
    expect(f.stripe.writes).toHaveLength(2);
    const ids = new Set(f.publisher.audits().map((a) => a.row_id));
    expect(ids.size).toBe(1);
  });

  it.each([
    ['noop', healthyView(), 'noop'],
    [
      'blocked',
      viewWith((v) => {
        v.subsAccount.data.accountType = 'msp';
        stripeItem(v).quantity = 3;
      }),
      'blocked',
    ],
    ['needs human', viewWith((v) => void (v.stripe.subscriptions.data = [])), 'needs_human'],
  ])('%s writes nothing and is audited as %s', async (_n, view, outcome) => {
    const f = fakeDeps(view);
    const r = await planAndApply(f.deps, message(view), 'msg-1');
    expect(r.outcome).toBe(outcome);
    expect(f.stripe.writes).toEqual([]);
    expect(f.publisher.audits().map((a) => a.outcome)).toEqual([outcome]);
  });

  it('blocked rows name every restriction that applied', async () => {
    const view = viewWith((v) => {
      v.subsAccount.data.accountType = 'msp';
      v.subsAccount.data.mergedAccountIds = ['acc_2'];
      stripeItem(v).quantity = 3;
    });
    const f = fakeDeps(view);
    await planAndApply(f.deps, message(view), 'msg-1');
    expect(f.publisher.audits()[0]?.restrictions).toEqual(['UnsupportedAccountType', 'MergedAccount']);
  });

  it.each([
    ['run is a dry-run', { dryRun: true }, false],
    ['config says dry-run', {}, true],
  ])('dry-run (%s): writes nothing, says what it would do', async (_n, overrides, configDryRun) => {
    const view = drifted();
    const f = fakeDeps(view);
    f.control.config = { ...f.control.config, dryRun: configDryRun };
    const r = await planAndApply(f.deps, message(view, overrides), 'msg-1');
    expect(r.outcome).toBe('dry_run');
    expect(f.stripe.writes).toEqual([]);
    expect(f.publisher.audits()[0]?.change_ids).toHaveLength(2);
  });

  it('kill switch: writes nothing, halted', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    f.control.config = { ...f.control.config, killSwitch: true };
    expect((await planAndApply(f.deps, message(view), 'msg-1')).outcome).toBe('halted');
    expect(f.stripe.writes).toEqual([]);
  });

  it('refuses a stale plan: Stripe changed between gather and apply, nothing written', async () => {
    const gathered = drifted();
    const f = fakeDeps(viewWith((v) => void (stripeItem(v).quantity = 7)));
    const r = await planAndApply(f.deps, message(gathered), 'msg-1');
    expect([r.outcome, r.disposition]).toEqual(['stale', 'ack']);
    expect(f.stripe.writes).toEqual([]);
    expect(f.publisher.audits()[0]?.error_code).toBe('stale_plan');
  });

  it('retries a transient Stripe failure (throw), and fails for good on a permanent one (ack)', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    f.stripe.failNext = { count: 1, error: stripeFailure(429, 'rate_limit_error', 'rate_limit', true) };
    const first = await planAndApply(f.deps, message(view), 'msg-1');
    expect([first.outcome, first.disposition]).toEqual(['failed', 'retry']);
    expect(f.publisher.audits()[0]).toMatchObject({
      failed: true,
      will_retry: true,
      error_code: 'stripe_rate_limit',
    });
    const second = await planAndApply(f.deps, message(view), 'msg-1');
    expect([second.outcome, second.disposition]).toEqual(['applied', 'ack']);
    expect(f.stripe.writes).toHaveLength(2);

    const g = fakeDeps(view);
    g.stripe.failNext = {
      count: 1,
      error: stripeFailure(400, 'invalid_request_error', 'parameter_invalid', false),
    };
    const bad = await planAndApply(g.deps, message(view), 'msg-1');
    expect([bad.outcome, bad.disposition]).toEqual(['failed', 'ack']);
    expect(g.publisher.audits()[0]).toMatchObject({
      failed: true,
      will_retry: false,
      error_code: 'stripe_parameter_invalid',
    });
    expect(g.control.leases.size).toBe(0);
  });

  it('a crash after a write and before the ack: the redelivery writes nothing new', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    // The first change is written, then the process dies before the second.
    f.stripe.failNext = null;
    const original = f.stripe.write.bind(f.stripe);
    let calls = 0;
    f.stripe.write = async (...args) => {
      calls += 1;
      if (calls === 2) throw new Error('process killed');
      return original(...args);
    };
    const crashed = await planAndApply(f.deps, message(view), 'msg-1');
    expect(crashed.disposition).toBe('retry');
    f.stripe.write = original;
    const redelivered = await planAndApply(f.deps, message(view), 'msg-1');
    expect(redelivered.outcome).toBe('applied');
    expect(f.stripe.writes).toHaveLength(2);
    expect(new Set(f.stripe.writes.map((w) => w.change.target.id)).size).toBe(2);
  });

  it.each([
    [
      'OPE moved: the customer downgraded after gather',
      (live: AccountView) =>
        void ((live.ope.data.subscriptions[0] as { items: { quantity: number }[] }).items[0]!.quantity = 3),
      'truth_moved',
      'ope',
    ],
    [
      'dunning moved: the account went into bad debt',
      (live: AccountView) => void (live.subsDunning.data.state = 'bad_debt'),
      'truth_moved',
      'subs_dunning',
    ],
    [
      'the account type moved: now a contract account',
      (live: AccountView) => void (live.subsAccount.data.accountType = 'sfcc'),
      'truth_moved',
      'subs_account',
    ],
  ])('%s: the live plan differs, nothing written', async (_case, move, code, part) => {
    const gathered = drifted();
    const f = fakeDeps(gathered);
    move(f.stores.views.get('acc_1') as AccountView);
    const r = await planAndApply(f.deps, message(gathered), 'msg-1');
    expect([r.outcome, r.disposition, r.stripeWrites]).toEqual(['stale', 'ack', 0]);
    expect(f.stripe.writes).toEqual([]);
    const row = f.publisher.audits()[0];
    expect(row?.error_code).toBe(code);
    expect(row?.reason).toContain(part);
    expect(JSON.parse(row?.result_json ?? '{}').changedParts).toContain(part);
    expect(f.control.leases.size).toBe(0);
  });

  it('a view older than the bound (a late redelivery) is refused before anything is read', async () => {
    const gathered = drifted();
    const f = fakeDeps(gathered);
    f.control.config = { ...f.control.config, maxViewAgeSeconds: 60 };
    const old = structuredClone(gathered);
    old.ope.asOf = '2026-11-24T08:00:00Z';
    let liveReads = 0;
    f.deps.subsApi.account = async () => {
      liveReads += 1;
      return null;
    };
    const r = await planAndApply(f.deps, message(old), 'msg-1');
    expect([r.outcome, r.disposition]).toEqual(['stale', 'ack']);
    expect(f.publisher.audits()[0]?.error_code).toBe('stale_view');
    expect(f.publisher.audits()[0]?.reason).toMatch(/view's ope was read \d+ s ago/);
    expect([liveReads, f.stripe.writes.length]).toEqual([0, 0]);
  });

  it('a view of the mirror is never applied, whatever it plans', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    const r = await planAndApply(f.deps, { ...message(view), truth: 'mirror' }, 'msg-1');
    expect(r.outcome).toBe('dry_run');
    expect(f.publisher.audits()[0]?.error_code).toBe('as_of_view');
    expect(f.stripe.writes).toEqual([]);
  });

  it.each([
    ['scheduled', 'mirror_drift_not_live', /drift in the mirror of 2026-11-24, not in the live stores/],
    ['replay', null, /already in the desired state/],
  ] as const)('no drift live, trigger %s: noop, audited with why', async (trigger, code, reason) => {
    const view = healthyView();
    const f = fakeDeps(view);
    await planAndApply(f.deps, message(view, { trigger }), 'msg-1');
    expect(f.publisher.audits()[0]).toMatchObject({ outcome: 'noop', error_code: code });
    expect(f.publisher.audits()[0]?.reason).toMatch(reason);
  });

  it("a view naming another customer's subscription writes nothing (foreign_object)", async () => {
    const own = drifted();
    const forged = structuredClone(own);
    const sub = forged.stripe.subscriptions.data[0]!;
    sub.id = 'sub_of_someone_else';
    const f = fakeDeps(own);
    const r = await planAndApply(f.deps, message(forged), 'msg-1');
    expect([r.outcome, r.stripeWrites]).toEqual(['stale', 0]);
    expect(f.publisher.audits()[0]?.error_code).toBe('foreign_object');
    expect(f.publisher.audits()[0]?.reason).toContain('subscription sub_of_someone_else');
    expect(f.stripe.writes).toEqual([]);
  });

  it('another run holds the account lease: this run ends there, audited (never a silent dead letter)', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    await f.control.acquireLease('acc_1', 'replay-xyz:abc', 60_000, f.deps.clock.now().getTime());
    const r = await planAndApply(f.deps, message(view), 'msg-1');
    expect([r.outcome, r.disposition, f.stripe.writes.length]).toEqual(['excluded', 'ack', 0]);
    expect(f.publisher.audits()).toMatchObject([{ outcome: 'excluded', error_code: 'lease_held' }]);
    expect(f.publisher.audits()[0]?.reason).toContain('replay-xyz');
  });

  it('a duplicate of the same run while its twin applies: acked without a second row', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    await f.control.acquireLease('acc_1', `${run.runId}:0123456789ab`, 60_000, f.deps.clock.now().getTime());
    const r = await planAndApply(f.deps, message(view), 'msg-2');
    expect(r.disposition).toBe('ack');
    expect(f.publisher.audits()).toEqual([]);
    expect(f.stripe.writes).toEqual([]);
  });

  it('after a final outcome, another message of the same run (a newer view, a redelivery) adds no row', async () => {
    const view = drifted();
    const f = fakeDeps(view);
    expect((await planAndApply(f.deps, message(view), 'msg-1')).outcome).toBe('applied');
    // The run's second message for the account carries a view gathered after the heal.
    const later = await planAndApply(f.deps, message(healthyView()), 'msg-7');
    expect([later.outcome, later.disposition]).toEqual(['applied', 'ack']);
    expect(f.publisher.audits().map((a) => a.outcome)).toEqual(['applied']);
    expect(f.stripe.writes).toHaveLength(2);
  });
});
