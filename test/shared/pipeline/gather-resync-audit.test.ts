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

describe('gatherAccount', () => {
  it('joins mirror, Stripe and gates into a valid, stamped view and publishes it', async () => {
    const f = fakeDeps(healthyView());
    f.mirror.views.set('acc_1', healthyView());
    f.control.gates.set('acc_1', { badDebtDriftRemediation: true, invoiceMetadataRemediation: false });
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect(r.outcome).toBe('published');
    const out = f.publisher.messages.find((m) => m.topic === 'accountViews');
    expect(out?.orderingKey).toBe('acc_1');
    const view = AccountView.parse((out?.data as { view: unknown } | undefined)?.view);
    expect(view.gates.data).toEqual({ badDebtDriftRemediation: true, invoiceMetadataRemediation: false });
    expect(view.gates.source).toBe('firestore_gates');
  });

  it('an account missing from the mirror fails for good (ack), audited', async () => {
    const f = fakeDeps(healthyView());
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect([r.outcome, r.disposition]).toEqual(['failed', 'ack']);
    expect(f.publisher.audits()[0]).toMatchObject({ failed: true, error_code: 'unknown_account' });
  });

  it('an account with no Stripe customer still gets a view (the planner reports NoStripeCustomer)', async () => {
    const f = fakeDeps(healthyView());
    const v = healthyView();
    v.subsCustomer.data.stripeCustomerId = null;
    f.mirror.views.set('acc_1', v);
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect(r.outcome === 'published' && r.view.stripe.customer.data).toBeNull();
  });

  it('an upstream outage is retried, with the attempt in the audit row', async () => {
    const f = fakeDeps(healthyView());
    f.mirror.views.set('acc_1', healthyView());
    f.stripe.readAccount = async () => {
      throw new UpstreamError('Stripe unreachable', 'pubsub', true);
    };
    const r = await gatherAccount(f.deps, msg, 'msg-1');
    expect(r.disposition).toBe('retry');
    expect(f.publisher.audits()[0]?.reason).toContain('will retry');
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
