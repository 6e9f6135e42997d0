import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripeServer, startLocalStripe } from '../../../local/stripe/index.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
import { idempotencyKey, preconditionVerdict } from '../../../shared/core/apply-policy.js';
import { plan } from '../../../shared/core/planner.js';
import { stampRunId } from '../../../shared/core/stamp.js';
import { AccountView } from '../../../shared/domain/account-view.js';
import { healthyView } from '../../support/views.js';
import { NOW, PERIOD_END, PERIOD_START } from './stripe-seed.js';

/**
 * The adapter against the planner and apply policy that consume it: what readAccount maps must be a valid
 * AccountView the planner plans on, and what readLive reports must match the plan's preconditions
 * exactly (item order included), or every apply would be refused as stale.
 */

let server: LocalStripeServer;
const AS_OF = new Date(NOW * 1000 + 5000).toISOString();

function adapter(): StripeAdapter {
  return new StripeAdapter({ apiKey: 'sk_test_local', ...server.clientConfig(), maxNetworkRetries: 0 });
}

beforeAll(async () => {
  server = await startLocalStripe({ now: () => NOW });
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
  // healthyView's account (acc_1 / cus_1), drifted three ways in Stripe: the add-on quantity (OPE says 3),
  // the bad-debt flag (dunning says none) and an invoice without cf_account_id. Item ids are not in
  // Stripe's list order, so the precondition comparison must not depend on it.
  server.seed({
    customers: [{ id: 'cus_1', metadata: { bad_debt: 'true' }, default_payment_method: 'pm_1' }],
    payment_methods: [
      {
        id: 'pm_1',
        customer: 'cus_1',
        card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 },
      },
    ],
    products: [
      { id: 'prod_pro', name: 'Pro' },
      { id: 'prod_addon', name: 'Add-on' },
    ],
    prices: [
      { id: 'price_pro_m', product: 'prod_pro', unit_amount: 2000 },
      { id: 'price_addon_m', product: 'prod_addon', unit_amount: 500 },
    ],
    subscriptions: [
      {
        id: 'sub_1',
        customer: 'cus_1',
        current_period_start: PERIOD_START,
        current_period_end: PERIOD_END,
        metadata: { ope_subscription_id: 'ope_sub_1' },
        items: [
          { id: 'si_z_pro', price: 'price_pro_m', quantity: 1, metadata: { ope_item_id: 'ope_item_1' } },
          { id: 'si_a_addon', price: 'price_addon_m', quantity: 2, metadata: { ope_item_id: 'ope_item_2' } },
        ],
      },
    ],
    invoices: [
      {
        id: 'in_1',
        customer: 'cus_1',
        subscription: 'sub_1',
        amount_due: 3000,
        created: PERIOD_START,
        lines: [{ price: 'price_pro_m', quantity: 1, amount: 2000, subscription_item: 'si_z_pro' }],
      },
    ],
  });
});

async function liveView(stripe: StripeAdapter): Promise<AccountView> {
  const parts = await stripe.readAccount('cus_1');
  const view = healthyView();
  // The mapped parts must satisfy the view schema as they are.
  return AccountView.parse({ ...view, asOf: AS_OF, stripe: parts });
}

describe('readAccount -> plan -> readLive -> write -> converged', () => {
  it('plans on the mapped view, finds every precondition fresh, applies, and then plans nothing', async () => {
    const stripe = adapter();
    const first = plan(await liveView(stripe));
    expect(first.outcome).toBe('changes');
    expect(first.changes.map((c) => c.kind).sort()).toEqual([
      'customer_update',
      'invoice_update',
      'subscription_update',
    ]);

    for (const change of first.changes) {
      expect(preconditionVerdict(change, await stripe.readLive(change.target))).toEqual({ verdict: 'fresh' });
    }
    for (const change of first.changes) {
      await stripe.write(
        change,
        stampRunId(change, 'run_rt'),
        idempotencyKey('acc_1', change, first.planHash),
      );
    }
    expect(server.writes()).toHaveLength(3);

    // A redelivery after the writes: the live objects carry this very change, so it is not stale.
    for (const change of first.changes) {
      expect(preconditionVerdict(change, await stripe.readLive(change.target)).verdict).toBe(
        'already_applied',
      );
    }
    const second = plan(await liveView(stripe));
    expect(second.outcome).toBe('noop');
    expect(second.changes).toEqual([]);
  });

  it('a change made in Stripe between plan and apply makes the plan stale', async () => {
    const stripe = adapter();
    const p = plan(await liveView(stripe));
    const sub = p.changes.find((c) => c.kind === 'subscription_update');
    expect(sub).toBeDefined();
    if (!sub) return;
    // Someone else changes the quantity in the meantime.
    await stripe.client.subscriptions.update('sub_1', { items: [{ id: 'si_a_addon', quantity: 7 }] });
    const verdict = preconditionVerdict(sub, await stripe.readLive(sub.target));
    expect(verdict.verdict).toBe('stale');
    expect(verdict.verdict === 'stale' ? verdict.mismatches.map((m) => m.field) : []).toEqual(['items']);
  });
});
