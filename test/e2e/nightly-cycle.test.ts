import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CycleSummary, runNightlyCycle } from '../../local/run/cycle.js';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import { plan } from '../../shared/core/planner.js';
import type { AuditRecord } from '../../shared/domain/audit.js';
import { gatherLive } from '../../shared/pipeline/gather.js';
import { auditRows, startTestPipeline, stripeWrites } from './support.js';

/**
 * The nightly cycle end to end on real parts: emulators, the local BigQuery holding the synthetic
 * mirror, the local Stripe / subs-api / www seeded from the same world, functions over real HTTP behind
 * push subscriptions. Everything asserted here is read back from those systems.
 */
describe('nightly cycle on the local stack', () => {
  let p: LocalPipeline;
  let summary: CycleSummary;
  let rows: AuditRecord[];

  beforeAll(async () => {
    p = await startTestPipeline();
    summary = await runNightlyCycle(p, { timeoutMs: 120_000 });
    rows = await auditRows(p, 'TRUE');
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('drains, publishing new drift and excluding persistent and unsupported accounts', () => {
    expect(summary.drained).toBe(true);
    expect(summary.stripe.published).toBeGreaterThan(10);
    expect(summary.stripe.excluded.persistent_drift).toBeGreaterThan(0);
    expect(summary.stripe.excluded.unsupported_account_type).toBeGreaterThan(0);
    expect(summary.stripe.outcomes.applied).toBeGreaterThan(0);
    expect(summary.stripe.outcomes.blocked).toBeGreaterThan(0);
  });

  it('heals: every applied account plans to nothing against live Stripe afterwards', async () => {
    const applied = rows.filter((r) => r.stage === 'plan_apply' && r.outcome === 'applied');
    expect(applied.length).toBeGreaterThan(0);
    for (const row of applied) {
      const view = await gatherLive(p.deps, row.account_id as string);
      const again = plan(view as NonNullable<typeof view>);
      expect(again.changes, `account ${row.account_id}`).toEqual([]);
    }
  });

  it('writes exactly once per object that needed a change', () => {
    const applied = rows.filter((r) => r.stage === 'plan_apply' && r.outcome === 'applied');
    const planned = applied.reduce((n, r) => n + r.change_ids.length, 0);
    expect(summary.stripeWrites).toBe(planned);
    expect(applied.reduce((n, r) => n + r.stripe_writes, 0)).toBe(planned);
    const objects = stripeWrites(p).map((w) => w.objectId);
    expect(new Set(objects).size).toBe(objects.length);
  });

  it('leaves blocked, excluded and persistent-drift accounts untouched in Stripe', async () => {
    const untouched = rows.filter(
      (r) =>
        (r.stage === 'plan_apply' && ['blocked', 'needs_human'].includes(r.outcome)) ||
        (r.stage === 'detect' && r.outcome === 'excluded' && r.system === 'stripe'),
    );
    expect(untouched.length).toBeGreaterThan(0);
    const written = new Set(stripeWrites(p).map((w) => w.objectId));
    for (const row of untouched) {
      const view = await gatherLive(p.deps, row.account_id as string);
      const objects = [
        view?.stripe.customer.data?.id,
        ...(view?.stripe.subscriptions.data.map((s) => s.id) ?? []),
        ...(view?.stripe.invoices.data.recent.map((i) => i.id) ?? []),
      ].filter((id): id is string => id !== undefined);
      // A merged partner shares its lead's objects; the lead may have been healed in its own right.
      if (view && view.subsCustomer.data.accountIdsForCustomer.length > 1) continue;
      for (const id of objects) expect(written.has(id), `${row.account_id} object ${id}`).toBe(false);
    }
    // Their live state still plans the same drift: nothing healed them.
    for (const row of untouched.filter((r) => r.stage === 'plan_apply').slice(0, 10)) {
      const view = await gatherLive(p.deps, row.account_id as string);
      expect(plan(view as NonNullable<typeof view>).outcome).toBe(row.outcome);
    }
  });

  it('audits exactly one final row per attempt, blocked rows naming every restriction', () => {
    const finals = rows.filter((r) => r.stage === 'plan_apply' && !r.will_retry);
    const perAccount = new Map<string, number>();
    for (const r of finals)
      perAccount.set(r.account_id as string, (perAccount.get(r.account_id as string) ?? 0) + 1);
    expect([...perAccount.values()].every((n) => n === 1)).toBe(true);
    expect(perAccount.size).toBe(summary.stripe.published);
    for (const r of finals.filter((x) => x.outcome === 'blocked'))
      expect(r.restrictions.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.row_id)).size).toBe(rows.length);
    for (const r of rows) expect(r.failed).toBe(r.outcome === 'failed');
  });

  it('resyncs WWW drift from subs-api', async () => {
    const resynced = rows.filter((r) => r.stage === 'www_resync' && r.outcome === 'applied');
    expect(resynced.length).toBeGreaterThan(0);
    for (const r of resynced) {
      const [www, subs] = await Promise.all([
        p.deps.www.zone(r.zone_id as string),
        p.deps.subsApi.zone(r.zone_id as string),
      ]);
      expect(www?.planLevel).toBe(subs?.planLevel ?? 'free');
    }
  });

  it('a second cycle for the same snapshot date changes nothing', async () => {
    const writesBefore = stripeWrites(p).length;
    const rowsBefore = rows.length;
    const second = await runNightlyCycle(p, { timeoutMs: 60_000 });
    expect(Object.values(second.detect).map((d) => (d.result as { status: string }).status)).toEqual([
      'already_ran',
      'already_ran',
    ]);
    expect(stripeWrites(p).length).toBe(writesBefore);
    expect((await auditRows(p, 'TRUE')).length).toBe(rowsBefore);
  });
});
