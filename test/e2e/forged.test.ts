import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import type { AccountViewMessage, RunContext } from '../../shared/contracts/messages.js';
import { plan } from '../../shared/core/planner.js';
import type { AccountView } from '../../shared/domain/account-view.js';
import { gatherLive } from '../../shared/pipeline/gather.js';
import { startTestPipeline, stripeWrites, waitForAudit } from './support.js';

/**
 * A forged AccountView published straight to drift-account-views (what anyone with publish rights on the
 * topic could do; IAM now allows only gather, this is the defence in depth behind it). Each forgery is
 * fresh (parts stamped now) and plans writes; plan-apply re-reads the account live, plans again, and
 * writes nothing, auditing each with its reason code and the parts that were not the truth.
 */
describe('forged account views move no money', { timeout: 180_000 }, () => {
  let p: LocalPipeline;
  /** Live views of accounts whose live plan updates a subscription (their own drift). */
  const drifting: AccountView[] = [];
  /** Live views of healthy accounts with a live subscription and a recent invoice. */
  const healthy: AccountView[] = [];
  let seq = 0;

  beforeAll(async () => {
    p = await startTestPipeline({ accounts: 300, seed: 23 });
    for (let i = 0; i < p.world.accounts && (drifting.length < 6 || healthy.length < 12); i++) {
      const view = await gatherLive(p.deps, `acc_${String(i).padStart(7, '0')}`);
      if (!view || view.stripe.customer.data === null) continue;
      const outcome = plan(view);
      const live = view.stripe.subscriptions.data.filter((s) => s.status === 'active' && s.items.length > 0);
      if (outcome.outcome === 'changes' && outcome.changes.some((c) => c.kind === 'subscription_update'))
        drifting.push(view);
      else if (outcome.outcome === 'noop' && live.length > 0 && view.stripe.invoices.data.recent.length > 0)
        healthy.push(view);
    }
    expect(drifting.length).toBeGreaterThanOrEqual(5);
    expect(healthy.length).toBeGreaterThanOrEqual(2);
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  const publishForged = async (view: AccountView) => {
    const run: RunContext = {
      runId: `forged-${++seq}`,
      system: 'stripe',
      snapshotDate: p.snapshotDate,
      trigger: 'manual',
      requestedBy: 'attacker',
      dryRun: false,
    };
    const message: AccountViewMessage = {
      schemaVersion: 1,
      kind: 'account_view',
      run,
      view,
      publishedAt: new Date().toISOString(),
    };
    const forgedPlan = plan(view);
    expect(forgedPlan.outcome, 'the forgery must plan a write to be a test').toBe('changes');
    // ...and a write the truth does not call for (else it is not a forgery but a trigger of a real heal).
    const live = await gatherLive(p.deps, view.accountId);
    const liveIds = new Set(live ? plan(live).changes.map((c) => c.id) : []);
    expect(
      forgedPlan.changes.some((c) => !liveIds.has(c.id)),
      'the forgery must differ from the truth',
    ).toBe(true);
    const targets = forgedPlan.changes.map((c) => c.target.id);
    const before = new Map(targets.map((t) => [t, stripeWrites(p, t).length]));
    await p.deps.publisher.publish('accountViews', message, { orderingKey: view.accountId });
    const rows = await waitForAudit(
      p,
      "run_id = @run AND stage = 'plan_apply' AND NOT will_retry",
      { run: run.runId },
      (rs) => rs.length > 0,
    );
    for (const t of targets) expect(stripeWrites(p, t), t).toHaveLength(before.get(t) ?? 0);
    expect(rows).toHaveLength(1);
    return rows[0] as NonNullable<(typeof rows)[0]>;
  };
  const changedParts = (row: { result_json: string }) =>
    (JSON.parse(row.result_json) as { changedParts?: string[] }).changedParts ?? [];
  const fresh = (v: AccountView) => structuredClone(v);

  /** A healthy account (not `except`) with an OPE item whose quantity, forged, makes it plan a write. */
  const raiseQuantity = (quantity: number, except?: string): AccountView => {
    for (const base of healthy.filter((v) => v.accountId !== except))
      for (const [si, sub] of base.ope.data.subscriptions.entries())
        for (const [ii] of sub.items.entries()) {
          const view = fresh(base);
          const item = view.ope.data.subscriptions[si]?.items[ii];
          if (!item || item.deleted) continue;
          item.quantity = quantity;
          if (plan(view).outcome === 'changes') return view;
        }
    throw new Error('no healthy account plans a write when an item is raised');
  };

  it('a quantity raised to 41 in OPE', async () => {
    const view = raiseQuantity(41);
    const row = await publishForged(view);
    expect(row).toMatchObject({ outcome: 'stale', error_code: 'truth_moved', account_id: view.accountId });
    expect(changedParts(row)).toEqual(['ope']);
  });

  it('an unsupported account type made supported', async () => {
    const view = fresh(drifting[0] as AccountView);
    view.subsAccount.data.accountType = 'self_serve';
    view.cfProd.data.accountType = 'self_serve';
    // Make the live account unsupported first: the forged view claims it is not.
    await p.truth.setAccountType(view.accountId, 'msp');
    const row = await publishForged(view);
    expect(row).toMatchObject({ outcome: 'stale', error_code: 'truth_moved' });
    expect(changedParts(row)).toEqual(expect.arrayContaining(['subs_account', 'cf_prod']));
    expect(JSON.parse(row.result_json).restrictionsDiffer).toContain('UnsupportedAccountType');
  });

  it('a subscription cancelled in OPE', async () => {
    const view = fresh(healthy[1] as AccountView);
    const sub = view.ope.data.subscriptions.find((s) => s.status !== 'canceled');
    if (!sub) throw new Error('no OPE subscription');
    sub.status = 'canceled';
    const row = await publishForged(view);
    expect(row).toMatchObject({ outcome: 'stale', error_code: 'truth_moved' });
    expect(changedParts(row)).toEqual(['ope']);
  });

  it('a price swapped for a cheaper one in the catalogue', async () => {
    // A healthy account whose item, priced from the forged catalogue, moves to the cheapest price.
    for (const base of healthy) {
      const view = fresh(base);
      const sub = view.ope.data.subscriptions.find((x) => x.status === 'active');
      const item = sub?.items.find((i) => !i.deleted && !i.contract);
      const cheapest = view.billingProd.data.catalogue
        .filter((c) => c.currency === sub?.currency && c.interval === sub?.interval)
        .sort((a, b) => a.unitAmountMinor - b.unitAmountMinor)[0];
      const entry = view.billingProd.data.catalogue.find(
        (c) =>
          c.productId === item?.productId && c.currency === sub?.currency && c.interval === sub?.interval,
      );
      if (!sub || !item || !cheapest || !entry || entry.stripePriceId === cheapest.stripePriceId) continue;
      entry.stripePriceId = cheapest.stripePriceId;
      entry.unitAmountMinor = cheapest.unitAmountMinor;
      if (plan(view).outcome !== 'changes') continue;
      const row = await publishForged(view);
      expect(row).toMatchObject({ outcome: 'stale', error_code: 'truth_moved' });
      expect(changedParts(row)).toEqual(['billing_prod']);
      return;
    }
    throw new Error('no healthy account to forge a cheaper price for');
  });

  it("another account's subscription, named as this account's", async () => {
    // An account of our own that can pay (a raise on it is not blocked by InvalidPaymentMethod).
    const own = drifting.find((v) =>
      v.stripe.paymentMethods.data.some((m) => m.id === v.stripe.customer.data?.defaultPaymentMethodId),
    ) as AccountView;
    const view = raiseQuantity(9, own.accountId);
    // The forgery is the victim's account and objects under this account's id and customer.
    view.accountId = own.accountId;
    view.subsCustomer = structuredClone(own.subsCustomer);
    view.stripe.customer = structuredClone(own.stripe.customer);
    view.stripe.paymentMethods = structuredClone(own.stripe.paymentMethods);
    view.stripe.invoices.data = { next: structuredClone(own.stripe.invoices.data.next), recent: [] };
    for (const sub of view.stripe.subscriptions.data)
      sub.customerId = own.stripe.customer.data?.id ?? sub.customerId;
    const target = plan(view).changes.find((c) => c.kind === 'subscription_update')?.target.id as string;
    expect(target).toMatch(/^sub_/);
    const row = await publishForged(view);
    expect(row).toMatchObject({ outcome: 'stale', error_code: 'foreign_object', account_id: own.accountId });
    expect(row.reason).toContain(`subscription ${target}`);
    expect(stripeWrites(p, target)).toHaveLength(0);
  });

  it("another account's invoice, named as this account's", async () => {
    const victim = healthy[0] as AccountView;
    const view = fresh(drifting[3] as AccountView);
    const invoice = structuredClone(victim.stripe.invoices.data.recent[0]);
    if (!invoice) throw new Error('no invoice');
    invoice.metadata = {};
    view.stripe.invoices.data.recent = [invoice];
    view.gates.data.invoiceMetadataRemediation = true;
    const row = await publishForged(view);
    expect(row).toMatchObject({ outcome: 'stale', error_code: 'foreign_object' });
    expect(row.reason).toContain(`invoice ${invoice.id}`);
    expect(stripeWrites(p, invoice.id)).toHaveLength(0);
  });
});
