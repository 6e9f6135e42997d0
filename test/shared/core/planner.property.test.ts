import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plan } from '../../../shared/core/planner.js';
import { SUPPORTED_ACCOUNT_TYPES } from '../../../shared/core/restrictions.js';
import type { AccountView } from '../../../shared/domain/account-view.js';
import { AccountView as AccountViewSchema } from '../../../shared/domain/account-view.js';
import { Plan } from '../../../shared/domain/plan.js';
import { prng, randomView } from '../../support/random-view.js';
import { simulateChanges } from '../../support/simulate.js';

/**
 * Properties over generated views (test/support/random-view.ts mixes every drift kind and restriction
 * condition at realistic rates). fast-check draws the seeds and reports the failing one.
 */

const RUNS = 400;
const views = fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(randomView);

function shuffled<T>(xs: readonly T[], r: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The same account with every list in another order: nothing the planner decides may change. */
function reordered(view: AccountView, seed: number): AccountView {
  const r = prng(seed);
  const v = structuredClone(view);
  v.ope.data.subscriptions = shuffled(v.ope.data.subscriptions, r).map((s) => ({
    ...s,
    items: shuffled(s.items, r),
  }));
  v.stripe.subscriptions.data = shuffled(v.stripe.subscriptions.data, r).map((s) => ({
    ...s,
    items: shuffled(s.items, r),
  }));
  v.stripe.invoices.data.recent = shuffled(v.stripe.invoices.data.recent, r);
  v.billingProd.data.catalogue = shuffled(v.billingProd.data.catalogue, r);
  return v;
}

/** Independent oracle for a valid payment method (restrictions.ts must agree). */
function hasValidPaymentMethod(view: AccountView): boolean {
  const id = view.stripe.customer.data?.defaultPaymentMethodId;
  const method = view.stripe.paymentMethods.data.find((m) => m.id === id);
  if (!method) return false;
  if (method.cardExpYear === null || method.cardExpMonth === null) return true;
  const asOf = new Date(view.asOf);
  return method.cardExpYear * 12 + method.cardExpMonth >= asOf.getUTCFullYear() * 12 + asOf.getUTCMonth() + 1;
}

describe('planner properties', () => {
  it('generated views are valid AccountViews and plans are valid Plans', () => {
    fc.assert(
      fc.property(views, (view) => {
        AccountViewSchema.parse(view);
        const p = Plan.parse(plan(view));
        expect(p.outcome === 'changes').toBe(p.changes.length > 0);
        if (p.outcome === 'blocked') expect(p.changes).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('converges: apply the plan in memory, plan again, nothing is left to change', () => {
    fc.assert(
      fc.property(views, (view) => {
        const first = plan(view);
        const second = plan(simulateChanges(view, first.changes));
        expect(second.changes).toEqual([]);
        // What was blocked or dropped stays so; nothing new appears.
        expect(second.blockedChanges.length).toBeLessThanOrEqual(first.blockedChanges.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('is minimal: an element already right never yields a change, an account without drift plans nothing', () => {
    fc.assert(
      fc.property(views, (view) => {
        const p = plan(view);
        const clean = new Set(p.elements.filter((e) => e.drift.length === 0).map((e) => e.key));
        const all = [...p.changes, ...p.blockedChanges, ...p.droppedChanges.map((d) => d.change)];
        for (const change of all) {
          for (const item of change.itemChanges) expect(clean.has(item.elementKey)).toBe(false);
          expect(change.drift.length).toBeGreaterThan(0);
        }
        if (!p.hasDrift) {
          expect(all).toEqual([]);
          expect(p.outcome).toBe('noop');
        }
        // Never a state Stripe refuses: one price on two items of a subscription.
        const after = simulateChanges(view, p.changes);
        for (const sub of after.stripe.subscriptions.data) {
          const change = p.changes.find((c) => c.target.id === sub.id);
          if (!change) continue;
          const before = view.stripe.subscriptions.data.find((s) => s.id === sub.id)?.items ?? [];
          const dupes = (items: { price: { id: string } }[]) =>
            items.length - new Set(items.map((i) => i.price.id)).size;
          expect(dupes(sub.items)).toBeLessThanOrEqual(dupes(before));
        }
        // One write per object.
        const targets = all.map((c) => `${c.target.object}:${c.target.id}`);
        expect(new Set(targets).size).toBe(targets.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic: same view, same plan; reordered lists, same ids and hash', () => {
    fc.assert(
      fc.property(views, fc.integer(), (view, seed) => {
        const p = plan(view);
        expect(plan(structuredClone(view))).toEqual(p);
        const q = plan(reordered(view, seed));
        expect(q.planHash).toBe(p.planHash);
        expect(q.changes).toEqual(p.changes);
        expect(q.elements).toEqual(p.elements);
      }),
      { numRuns: RUNS },
    );
  });

  it('reports every restriction that applies, checked against an independent oracle', () => {
    fc.assert(
      fc.property(views, (view) => {
        const p = plan(view);
        const applies = Object.fromEntries(p.restrictions.map((r) => [r.name, r.applies]));
        expect(p.restrictions).toHaveLength(7);
        const candidates = [...p.changes, ...p.blockedChanges, ...p.droppedChanges.map((d) => d.change)];
        const customer = view.stripe.customer.data;
        expect(applies.UnsupportedAccountType).toBe(
          !SUPPORTED_ACCOUNT_TYPES.has(view.subsAccount.data.accountType) ||
            !SUPPORTED_ACCOUNT_TYPES.has(view.cfProd.data.accountType),
        );
        expect(applies.MergedAccount).toBe(
          view.subsAccount.data.mergedAccountIds.length > 0 ||
            view.subsCustomer.data.accountIdsForCustomer.some((id) => id !== view.accountId),
        );
        expect(applies.NoStripeCustomer).toBe(
          view.subsCustomer.data.stripeCustomerId === null ||
            customer === null ||
            customer.deleted ||
            customer.id !== view.subsCustomer.data.stripeCustomerId,
        );
        expect(applies.InvalidPaymentMethod).toBe(
          candidates.some((c) => (c.moneyEffect?.annualDeltaMinor ?? 0) > 0) && !hasValidPaymentMethod(view),
        );
        expect(applies.BadDebtDriftRemediation).toBe(
          !view.gates.data.badDebtDriftRemediation && candidates.some((c) => c.kind === 'customer_update'),
        );
        expect(applies.InvoiceMetadataRemediation).toBe(
          !view.gates.data.invoiceMetadataRemediation && candidates.some((c) => c.kind === 'invoice_update'),
        );
        const blocking = p.restrictions.some((r) => r.applies && r.effect === 'blocks_plan');
        if (blocking && (candidates.length > 0 || p.findings.length > 0)) expect(p.outcome).toBe('blocked');
      }),
      { numRuns: RUNS },
    );
  });

  it('never raises what a customer pays without a valid payment method', () => {
    fc.assert(
      fc.property(views, (view) => {
        const p = plan(view);
        const raises = p.changes.some((c) => (c.moneyEffect?.annualDeltaMinor ?? 0) > 0);
        if (raises) expect(hasValidPaymentMethod(view)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('never changes a contract or bad-debt item, and never prorates', () => {
    fc.assert(
      fc.property(views, (view) => {
        const p = plan(view);
        const frozen = new Set(
          p.elements
            .filter((e) => e.elementClass === 'contract' || e.elementClass === 'bad_debt_item')
            .flatMap((e) => (e.stripeItemId === null ? [] : [e.stripeItemId])),
        );
        for (const change of p.changes) {
          if (change.kind === 'subscription_update') {
            expect(change.operation.params.proration_behavior).toBe('none');
            for (const item of change.itemChanges) {
              if (item.stripeItemId !== null) expect(frozen.has(item.stripeItemId)).toBe(false);
            }
          }
          // A cancel removes every item: none of them may be frozen.
          if (change.kind === 'subscription_cancel') {
            const sub = view.stripe.subscriptions.data.find((s) => s.id === change.target.id);
            for (const item of sub?.items ?? []) expect(frozen.has(item.id)).toBe(false);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('generates a realistic mix: every outcome, class and restriction shows up', () => {
    const outcomes = new Set<string>();
    const classes = new Set<string>();
    const restrictions = new Set<string>();
    for (let seed = 0; seed < 2000; seed++) {
      const p = plan(randomView(seed));
      outcomes.add(p.outcome);
      for (const e of p.elements) classes.add(e.elementClass);
      for (const r of p.restrictions) if (r.applies) restrictions.add(r.name);
    }
    expect([...outcomes].sort()).toEqual(['blocked', 'changes', 'needs_human', 'noop']);
    expect(classes.size).toBe(6);
    expect(restrictions.size).toBe(7);
  });
});
