import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../../shared/contracts/messages.js';
import { AccountView } from '../../../shared/domain/account-view.js';
import { ValidationError } from '../../../shared/domain/validate.js';
import { auditRecord } from '../../../shared/pipeline/audit.js';
import { writeAudit } from '../../../shared/pipeline/audit-writer.js';
import { gatherAccount } from '../../../shared/pipeline/gather.js';
import { resyncZone } from '../../../shared/pipeline/www-resync.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import { fakeDeps } from '../../support/fakes.js';
import { healthyView } from '../../support/views.js';

const run: RunContext = {
  runId: 'sched-stripe-2026-11-24',
  system: 'stripe',
  snapshotDate: '2026-11-24',
  trigger: 'scheduled',
  requestedBy: null,
  dryRun: false,
};
const msg = {
  schemaVersion: 1 as const,
  kind: 'stripe_drift_account' as const,
  run,
  accountId: 'acc_1',
  publishedAt: '2026-11-24T12:00:00Z',
};

describe('gatherAccount: an event-driven check and the drift lifecycle', () => {
  const eventMsg = {
    ...msg,
    run: { ...run, runId: 'event-abc', trigger: 'event' as const },
    events: { ids: ['evt_1'], count: 1, sources: ['stripe' as const], firstAt: '2026-11-24T11:59:00Z' },
  };
  // The fake clock starts at 2026-11-24T12:00Z.
  it.each([
    [
      'open 25 h, seen again 1 h ago, no heal: persistent, excluded',
      '2026-11-23T10:00:00Z',
      'blocked',
      true,
      'excluded',
    ],
    [
      'open 25 h, not seen since (it may have been fixed): checked',
      '2026-11-23T10:00:00Z',
      'blocked',
      false,
      'published',
    ],
    ['open 2 h: new drift, checked', '2026-11-24T10:00:00Z', 'blocked', false, 'published'],
    ['healed 25 h ago: checked', '2026-11-23T10:00:00Z', 'applied', false, 'published'],
  ])('%s', async (_name, firstSeen, outcome, seenAgain, expected) => {
    const f = fakeDeps(healthyView());
    await f.lifecycle.observe('stripe', 'acc_1', {
      at: firstSeen,
      signature: 'sig',
      outcome,
      runId: 'earlier',
      trigger: 'scheduled',
    });
    if (seenAgain)
      await f.lifecycle.observe('stripe', 'acc_1', {
        at: '2026-11-24T11:00:00Z',
        signature: 'sig',
        outcome,
        runId: 'later',
        trigger: 'scheduled',
      });
    await gatherAccount(f.deps, eventMsg, 'msg-1');
    const row = f.publisher.audits()[0];
    expect(row?.outcome).toBe(expected);
    expect(row?.trigger).toBe('event');
    expect(JSON.parse(row?.params_json ?? '{}').events.ids).toEqual(['evt_1']);
    if (expected === 'excluded') {
      expect(row?.error_code).toBe('persistent_drift');
      expect(row?.reason).toContain(`open since ${firstSeen} without a heal, longer than 24h`);
      expect(f.publisher.messages.filter((m) => m.topic === 'accountViews')).toEqual([]);
    }
  });

  it('a replay that lifts persistent drift (with a reason) is checked despite the lifecycle', async () => {
    const f = fakeDeps(healthyView());
    await f.lifecycle.markPersistent('stripe', ['acc_1'], {
      since: '2026-11-20T00:00:00Z',
      snapshotAt: '2026-11-24T00:00:00Z',
      at: '2026-11-24T06:00:00Z',
      runId: 'r0',
    });
    const replay = {
      ...msg,
      run: { ...run, runId: 'replay-1', trigger: 'replay' as const, requestedBy: 'oncall' },
      overrides: {
        includePersistent: true,
        ignoreCooldown: false,
        ignoreCaps: false,
        reason: 'customer asked us to',
      },
    };
    expect((await gatherAccount(f.deps, replay, 'msg-1')).outcome).toBe('published');
    const without = { ...replay, run: { ...replay.run, runId: 'replay-2' }, overrides: undefined };
    await gatherAccount(f.deps, without, 'msg-2');
    expect(f.publisher.audits().at(-1)).toMatchObject({
      outcome: 'excluded',
      error_code: 'persistent_drift',
    });
  });
});

describe('gatherAccount', () => {
  it('reads every store live into a valid view, each part stamped when it was read, and publishes it', async () => {
    const f = fakeDeps(healthyView());
    f.control.gates.set('acc_1', { badDebtDriftRemediation: true, invoiceMetadataRemediation: false });
    const before = f.deps.clock.now().getTime();
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect(r.outcome).toBe('published');
    const out = f.publisher.messages.find((m) => m.topic === 'accountViews');
    expect(out?.orderingKey).toBe('acc_1');
    expect((out?.data as { truth?: string } | undefined)?.truth).toBe('live');
    const view = AccountView.parse((out?.data as { view: unknown } | undefined)?.view);
    expect(view.gates.data).toEqual({ badDebtDriftRemediation: true, invoiceMetadataRemediation: false });
    for (const part of [
      view.ope,
      view.subsAccount,
      view.subsCustomer,
      view.subsDunning,
      view.billingProd,
      view.cfProd,
    ])
      expect(Date.parse(part.asOf)).toBeGreaterThan(before);
    expect(view.ope.data).toEqual(healthyView().ope.data);
    // The mirror is not read at all.
    expect(f.mirror.views.size).toBe(0);
    expect(f.publisher.audits()[0]).toMatchObject({
      outcome: 'published',
      reason: 'account view gathered from the live stores',
    });
  });

  it('reads the truth as it is now, not as the mirror had it', async () => {
    const f = fakeDeps(healthyView());
    const mirrored = healthyView();
    f.mirror.views.set('acc_1', mirrored);
    const live = f.stores.views.get('acc_1') as AccountView;
    (live.ope.data.subscriptions[0] as { items: { quantity: number }[] }).items[0]!.quantity = 9;
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect(r.outcome === 'published' && r.view.ope.data.subscriptions[0]?.items[0]?.quantity).toBe(9);
  });

  it('as of the mirror, when asked: the mirror parts, labelled', async () => {
    const f = fakeDeps(healthyView());
    const mirrored = healthyView();
    f.mirror.views.set('acc_1', mirrored);
    const r = await gatherAccount(f.deps, { ...msg, truth: 'mirror' }, 'msg-1');
    expect(r.outcome).toBe('published');
    const out = f.publisher.messages.find((m) => m.topic === 'accountViews')?.data as { truth: string };
    expect(out.truth).toBe('mirror');
    expect(f.publisher.audits()[0]?.reason).toContain('not live: never applied');
  });

  it.each([
    ['live', undefined, 'is not known to subs-api'],
    ['the mirror', 'mirror' as const, 'is not in the mirror for 2026-11-24'],
  ])('an account unknown to %s fails for good (ack), audited', async (_where, truth, reason) => {
    const f = fakeDeps(healthyView());
    f.stores.views.clear();
    const r = await gatherAccount(f.deps, { ...msg, ...(truth ? { truth } : {}) }, 'msg-1');
    expect([r.outcome, r.disposition]).toEqual(['failed', 'ack']);
    expect(f.publisher.audits()[0]).toMatchObject({ failed: true, error_code: 'unknown_account' });
    expect(f.publisher.audits()[0]?.reason).toContain(reason);
  });

  it('an account with no Stripe customer still gets a view (the planner reports NoStripeCustomer)', async () => {
    const f = fakeDeps(healthyView());
    (f.stores.views.get('acc_1') as AccountView).subsCustomer.data.stripeCustomerId = null;
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect(r.outcome === 'published' && r.view.stripe.customer.data).toBeNull();
  });

  it('a store holding a bad record (an OPE quantity of 0): retryable, audited naming the field, nothing published', async () => {
    const f = fakeDeps(healthyView());
    (f.stores.views.get('acc_1') as AccountView).ope.data.subscriptions[0]!.items[0]!.quantity = 0;
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect([r.outcome, r.disposition]).toEqual(['failed', 'retry']);
    expect(f.publisher.audits()[0]).toMatchObject({ error_code: 'invalid_store_data', will_retry: true });
    expect(f.publisher.audits()[0]?.reason).toContain('ope.data.subscriptions[0].items[0].quantity');
    expect(f.publisher.messages.filter((m) => m.topic === 'accountViews')).toEqual([]);
  });

  it('an account cf_prod does not know is of an unsupported type (fails closed)', async () => {
    const f = fakeDeps(healthyView());
    f.deps.cfProd.account = async () => null;
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect(r.outcome === 'published' && r.view.cfProd.data).toEqual({
      accountType: 'not_in_cf_prod',
      zones: [],
    });
  });

  it.each([
    [
      'Stripe',
      (f: ReturnType<typeof fakeDeps>) =>
        (f.stripe.readAccount = async () => {
          throw new UpstreamError('Stripe unreachable', 'pubsub', true);
        }),
    ],
    [
      'the OPE replica',
      (f: ReturnType<typeof fakeDeps>) =>
        (f.deps.ope.subscriptions = async () => {
          throw new UpstreamError('ope replica: connection refused', 'ope', true);
        }),
    ],
    [
      'subs-api',
      (f: ReturnType<typeof fakeDeps>) =>
        (f.deps.subsApi.account = async () => {
          throw new UpstreamError('subs-api: 503', 'subs-api', true, 503);
        }),
    ],
  ])(
    '%s unavailable: retried (never the mirror), with the attempt in the audit row',
    async (_what, breakIt) => {
      const f = fakeDeps(healthyView());
      f.mirror.views.set('acc_1', healthyView());
      breakIt(f);
      const r = await gatherAccount(f.deps, msg, 'msg-1');
      expect(r.disposition).toBe('retry');
      expect(f.publisher.messages.filter((m) => m.topic === 'accountViews')).toEqual([]);
      expect(f.publisher.audits()[0]).toMatchObject({ outcome: 'failed', will_retry: true });
      expect(f.publisher.audits()[0]?.reason).toContain('will retry');
    },
  );

  it('a redelivery after the final word (the ack was lost in a crash) publishes nothing and adds no row', async () => {
    const f = fakeDeps(healthyView());
    expect((await gatherAccount(f.deps, msg, 'msg-1')).outcome).toBe('published');
    // Meanwhile plan-apply healed the account: a second gather of a replay would now be `excluded`.
    const again = await gatherAccount(f.deps, msg, 'msg-1');
    expect(again).toMatchObject({ disposition: 'ack', outcome: 'already_final' });
    expect(f.publisher.audits().map((a) => a.outcome)).toEqual(['published']);
    expect(f.publisher.messages.filter((m) => m.topic === 'accountViews')).toHaveLength(1);
  });

  it('a retried failure is not final: the redelivery gathers and publishes', async () => {
    const f = fakeDeps(healthyView());
    const read = f.deps.subsApi.account;
    f.deps.subsApi.account = async () => {
      throw new UpstreamError('subs-api: 503', 'subs-api', true, 503);
    };
    expect((await gatherAccount(f.deps, msg, 'msg-1')).disposition).toBe('retry');
    f.deps.subsApi.account = read;
    expect((await gatherAccount(f.deps, msg, 'msg-1')).outcome).toBe('published');
    expect(f.publisher.audits().map((a) => [a.outcome, a.will_retry])).toEqual([
      ['failed', true],
      ['published', false],
    ]);
  });
});

describe('resyncZone', () => {
  const zmsg = {
    schemaVersion: 1 as const,
    kind: 'www_drift_zone' as const,
    run: { ...run, system: 'www' as const },
    zoneId: 'zone_1',
    accountId: 'acc_1',
    mirror: { wwwPlanLevel: 'free', subsApiPlanLevel: 'pro' },
    publishedAt: '2026-11-24T12:00:00Z',
  };
  const zone = (planLevel: string) => ({
    zoneId: 'zone_1',
    accountId: 'acc_1',
    planLevel,
    updatedAt: '2026-11-24T00:00:00Z',
  });

  it.each([
    ['resyncs www from subs-api', 'pro', 'free', false, 'applied', ['pro']],
    ['already in sync', 'pro', 'pro', false, 'noop', []],
    ['dry-run writes nothing', 'pro', 'free', true, 'dry_run', []],
  ])('%s', async (_n, truth, current, dryRun, outcome, writes) => {
    const f = fakeDeps();
    f.zones.subs.set('zone_1', zone(truth));
    f.zones.www.set('zone_1', zone(current));
    const r = await resyncZone(f.deps, { ...zmsg, run: { ...zmsg.run, dryRun } }, 'msg-1');
    expect(r.outcome).toBe(outcome);
    expect(f.zones.wwwWrites.map((w) => w.planLevel)).toEqual(writes);
  });

  it('refuses to overwrite a concurrent change', async () => {
    const f = fakeDeps();
    f.zones.subs.set('zone_1', zone('pro'));
    f.zones.www.set('zone_1', zone('free'));
    const setPlanLevel = f.deps.www.setPlanLevel;
    f.deps.www.setPlanLevel = async (id, level, expected) => {
      f.zones.www.set('zone_1', zone('business')); // someone else wins the race
      return setPlanLevel(id, level, expected);
    };
    const r = await resyncZone(f.deps, zmsg, 'msg-1');
    expect(r.outcome).toBe('stale');
    expect(f.zones.www.get('zone_1')?.planLevel).toBe('business');
  });

  it('a zone www does not have needs a human: resync never creates zones', async () => {
    const f = fakeDeps();
    f.zones.subs.set('zone_1', zone('pro'));
    const r = await resyncZone(f.deps, zmsg, 'msg-1');
    expect([r.outcome, r.disposition]).toEqual(['needs_human', 'ack']);
    expect(f.publisher.audits()[0]?.error_code).toBe('missing_in_www');
  });

  it('a zone subs-api has no record of is free: www is downgraded to free', async () => {
    const f = fakeDeps();
    f.zones.www.set('zone_1', zone('business'));
    const r = await resyncZone(f.deps, zmsg, 'msg-1');
    expect(r.outcome).toBe('applied');
    expect(f.zones.www.get('zone_1')?.planLevel).toBe('free');
  });
});

describe('audit rows', () => {
  const base = {
    run,
    stage: 'plan_apply' as const,
    accountId: 'acc_1',
    startedAt: new Date(0),
    finishedAt: new Date(1),
  };
  it('have deterministic ids: same attempt, same id; other outcome or attempt, other id', () => {
    const a = auditRecord({ ...base, outcome: 'applied', planHash: 'h1' });
    expect(auditRecord({ ...base, outcome: 'applied', planHash: 'h1', finishedAt: new Date(5) }).row_id).toBe(
      a.row_id,
    );
    expect(auditRecord({ ...base, outcome: 'noop', planHash: 'h1' }).row_id).not.toBe(a.row_id);
    expect(auditRecord({ ...base, outcome: 'applied', planHash: 'h2' }).row_id).not.toBe(a.row_id);
    expect(auditRecord({ ...base, outcome: 'failed', attemptKey: 1 }).row_id).not.toBe(
      auditRecord({ ...base, outcome: 'failed', attemptKey: 2 }).row_id,
    );
    expect(a.failed).toBe(false);
    expect(auditRecord({ ...base, outcome: 'failed' }).failed).toBe(true);
  });

  it('writeAudit inserts a valid row and rejects an invalid one naming the field', async () => {
    const f = fakeDeps();
    const row = auditRecord({ ...base, outcome: 'applied' });
    await writeAudit(f.deps, row);
    expect(f.inserted).toEqual([row]);
    await expect(writeAudit(f.deps, { ...row, failed: 'no' })).rejects.toThrow(ValidationError);
    await expect(writeAudit(f.deps, { ...row, failed: 'no' })).rejects.toThrow(/failed: /);
    expect(f.inserted).toHaveLength(1);
  });
});
