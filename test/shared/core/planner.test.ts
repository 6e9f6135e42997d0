import { describe, expect, it } from 'vitest';
import { plan } from '../../../shared/core/planner.js';
import { CHANGE_ID_METADATA_KEY } from '../../../shared/core/stamp.js';
import type { AccountView } from '../../../shared/domain/account-view.js';
import { Plan } from '../../../shared/domain/plan.js';
import { simulateChanges } from '../../support/simulate.js';
import {
  AS_OF,
  customer,
  healthyView,
  opeItem,
  opeSub,
  price,
  stripeItem,
  stripeSub,
  viewWith,
} from '../../support/views.js';

describe('plan: the minimal diff', () => {
  it('plans nothing for an account already in the desired state', () => {
    const p = plan(healthyView());
    expect(p.outcome).toBe('noop');
    expect(p.hasDrift).toBe(false);
    expect(p.changes).toEqual([]);
    expect(p.moneyEffect).toEqual([]);
    expect(() => Plan.parse(p)).not.toThrow();
  });

  it('puts every item change of one subscription in one update, with proration none', () => {
    const p = plan(
      viewWith((v) => {
        stripeItem(v).quantity = 3; // quantity drift
        stripeItem(v, 1).price = price('price_biz_m'); // price drift
        opeSub(v).items.push({
          id: 'ope_item_3',
          productId: 'prod_biz',
          quantity: 2,
          deleted: false,
          contract: false,
          scheduledChange: null,
        }); // missing
        stripeSub(v).items.push({ id: 'si_9', price: price('price_pro_m'), quantity: 1, metadata: {} }); // extra
      }),
    );
    expect(p.outcome).toBe('changes');
    expect(p.changes).toHaveLength(1);
    const [change] = p.changes;
    expect(change?.kind).toBe('subscription_update');
    expect(change?.operation.sdkMethod).toBe('subscriptions.update');
    expect(change?.operation.path).toBe('/v1/subscriptions/sub_1');
    expect(change?.operation.params.proration_behavior).toBe('none');
    expect(change?.operation.params.items).toEqual([
      { id: 'si_1', price: 'price_pro_m', quantity: 1 },
      { id: 'si_2', price: 'price_addon_m', quantity: 3 },
      { price: 'price_biz_m', quantity: 2, metadata: { ope_item_id: 'ope_item_3' } },
      { id: 'si_9', deleted: true },
    ]);
    expect(change?.itemChanges.map((c) => [c.action, c.elementKey])).toEqual([
      ['update', 'ope_item_1'],
      ['update', 'ope_item_2'],
      ['add', 'ope_item_3'],
      ['remove', 'stripe:si_9'],
    ]);
    expect(change?.drift).toEqual(['extra_item', 'missing_item', 'price', 'quantity']);
    // si_1: 3 -> 1 x 2000 monthly: -4000/month; si_2: 20000 -> 500 x3: -58500/month; add 2 x 20000: +40000; remove 2000.
    expect(change?.moneyEffect).toEqual({
      currency: 'usd',
      annualDeltaMinor: (-4000 - 58500 + 40000 - 2000) * 12,
      monthlyDeltaMinor: -24500,
    });
  });

  it('stamps the change id into the Stripe metadata', () => {
    const p = plan(viewWith((v) => void (stripeItem(v).quantity = 2)));
    const change = p.changes[0];
    expect(change?.operation.params.metadata).toEqual({ [CHANGE_ID_METADATA_KEY]: change?.id });
  });

  it('records the live values it expects to overwrite as preconditions', () => {
    const p = plan(viewWith((v) => void (stripeItem(v).quantity = 2)));
    expect(p.changes[0]?.preconditions).toEqual([
      { field: 'status', expected: 'active' },
      { field: 'cancel_at_period_end', expected: false },
      {
        field: 'items',
        expected: [
          { id: 'si_1', price: 'price_pro_m', quantity: 2 },
          { id: 'si_2', price: 'price_addon_m', quantity: 3 },
        ],
      },
    ]);
  });

  it('cancels a subscription instead of deleting its last items', () => {
    const p = plan(viewWith((v) => void (opeSub(v).status = 'canceled')));
    expect(p.changes.map((c) => [c.kind, c.operation.httpMethod, c.operation.sdkMethod])).toEqual([
      ['subscription_cancel', 'DELETE', 'subscriptions.cancel'],
    ]);
    const change = p.changes[0];
    expect(change?.operation.params).toEqual({
      prorate: false,
      invoice_now: false,
      cancellation_details: { comment: `driftcontrol ${change?.id}` },
    });
    expect(change?.moneyEffect?.annualDeltaMinor).toBe(-(2000 + 1500) * 12);
  });

  it('keeps a subscription whose other items are contract items', () => {
    const p = plan(
      viewWith((v) => {
        opeItem(v).deleted = true;
        opeItem(v, 1).contract = true;
      }),
    );
    expect(p.changes.map((c) => c.kind)).toEqual(['subscription_update']);
    expect(p.changes[0]?.operation.params.items).toEqual([{ id: 'si_1', deleted: true }]);
  });

  it('sets cancel_at_period_end for status drift, and prices the stop as a reduction', () => {
    const p = plan(viewWith((v) => void (opeSub(v).cancelAtPeriodEnd = true)));
    expect(p.changes[0]?.operation.params).toMatchObject({
      cancel_at_period_end: true,
      proration_behavior: 'none',
    });
    expect(p.changes[0]?.operation.params.items).toBeUndefined();
    expect(p.changes[0]?.moneyEffect?.annualDeltaMinor).toBe(-3500 * 12);
  });

  it('moves an annual OPE subscription to annual prices', () => {
    const p = plan(viewWith((v) => void (opeSub(v).interval = 'year')));
    expect(p.changes[0]?.operation.params.items).toEqual([
      { id: 'si_1', price: 'price_pro_y', quantity: 1 },
      { id: 'si_2', price: 'price_addon_y', quantity: 3 },
    ]);
    // 12 x 2000 -> 20000 a year; 12 x 1500 -> 15000 a year.
    expect(p.changes[0]?.moneyEffect?.annualDeltaMinor).toBe(20000 - 24000 + 15000 - 18000);
  });

  it('sets the bad-debt flag and invoice metadata with one write each, moving no money', () => {
    const p = plan(
      viewWith((v) => {
        v.subsDunning.data.state = 'bad_debt';
        const inv = v.stripe.invoices.data.recent[0];
        if (inv) inv.metadata = {};
      }),
    );
    expect(p.changes.map((c) => [c.kind, c.operation.path, c.operation.params.metadata])).toEqual(
      expect.arrayContaining([
        [
          'customer_update',
          '/v1/customers/cus_1',
          { bad_debt: 'true', [CHANGE_ID_METADATA_KEY]: expect.any(String) },
        ],
        [
          'invoice_update',
          '/v1/invoices/in_1',
          { cf_account_id: 'acc_1', [CHANGE_ID_METADATA_KEY]: expect.any(String) },
        ],
      ]),
    );
    expect(p.changes.every((c) => c.moneyEffect === null)).toBe(true);
    expect(p.moneyEffect).toEqual([]);
  });

  it('does not touch items of a bad-debt account', () => {
    const p = plan(
      viewWith((v) => {
        v.subsDunning.data.state = 'bad_debt';
        customer(v).metadata.bad_debt = 'true';
        stripeItem(v).quantity = 7;
        opeItem(v, 1).deleted = true;
      }),
    );
    expect(p.outcome).toBe('noop');
  });

  it('reports a missing subscription as a finding, not a change', () => {
    const p = plan(viewWith((v) => void (v.stripe.subscriptions.data = [])));
    expect(p.outcome).toBe('needs_human');
    expect(p.findings.map((f) => [f.kind, f.opeSubscriptionId, f.elementKeys])).toEqual([
      ['missing_subscription', 'ope_sub_1', ['ope_item_1', 'ope_item_2']],
    ]);
  });

  it('never plans one price on two items of a subscription (Stripe refuses it): a finding instead', () => {
    const p = plan(
      viewWith((v) => {
        opeSub(v).items.push({
          id: 'ope_item_3',
          productId: 'prod_pro',
          quantity: 1,
          deleted: false,
          contract: false,
          scheduledChange: null,
        });
      }),
    );
    expect(p.changes).toEqual([]);
    expect(p.outcome).toBe('needs_human');
    expect(p.findings.map((f) => [f.kind, f.stripeSubscriptionId])).toEqual([['duplicate_price', 'sub_1']]);
    expect(p.findings[0]?.detail).toContain('price_pro_m');
  });

  it('withholds item changes on a subscription with a currency mismatch', () => {
    const p = plan(
      viewWith((v) => {
        stripeSub(v).currency = 'eur';
        stripeItem(v).quantity = 5;
      }),
    );
    expect(p.changes).toEqual([]);
    expect(p.findings.map((f) => f.kind)).toEqual(['currency']);
  });

  it('heals the rest of an account around a missing price', () => {
    const p = plan(
      viewWith((v) => {
        opeItem(v).productId = 'prod_unpriced';
        stripeItem(v, 1).quantity = 1;
      }),
    );
    expect(p.outcome).toBe('changes');
    expect(p.changes[0]?.operation.params.items).toEqual([
      { id: 'si_2', price: 'price_addon_m', quantity: 3 },
    ]);
    expect(p.findings.map((f) => [f.kind, f.elementKeys])).toEqual([['missing_price', ['ope_item_1']]]);
  });

  it('does not plan an upgrade scheduled for later, and plans it once in effect', () => {
    const scheduled = (effectiveAt: string) =>
      viewWith((v) => void (opeItem(v).scheduledChange = { effectiveAt, productId: 'prod_biz' }));
    expect(plan(scheduled('2026-12-01T00:00:00Z')).outcome).toBe('noop');
    const p = plan(scheduled('2026-11-20T00:00:00Z'));
    expect(p.changes[0]?.operation.params.items).toEqual([{ id: 'si_1', price: 'price_biz_m', quantity: 1 }]);
  });

  it('derives ids and the plan hash from content: stable across runs and input order', () => {
    const edit = (v: ReturnType<typeof healthyView>) => {
      stripeItem(v).quantity = 2;
      v.subsDunning.data.state = 'bad_debt';
    };
    const a = plan(viewWith(edit));
    const b = plan(
      viewWith((v) => {
        edit(v);
        stripeSub(v).items.reverse();
        opeSub(v).items.reverse();
        v.billingProd.data.catalogue.reverse();
      }),
    );
    expect(b.planHash).toBe(a.planHash);
    expect(b.changes.map((c) => c.id)).toEqual(a.changes.map((c) => c.id));
    expect(a.changes.every((c) => /^chg_[0-9a-f]{20}$/.test(c.id))).toBe(true);
    const other = plan(viewWith((v) => void (stripeItem(v).quantity = 3)));
    expect(other.planHash).not.toBe(a.planHash);
  });

  it('never reads the clock: asOf alone decides time rules', () => {
    const view = viewWith(
      (v) => void (opeItem(v).scheduledChange = { effectiveAt: '2026-11-25T00:00:00Z', quantity: 2 }),
    );
    expect(plan(view).outcome).toBe('noop');
    expect(plan({ ...view, asOf: '2026-11-26T00:00:00Z' }).outcome).toBe('changes');
    expect(view.asOf).toBe(AS_OF);
  });

  it('converges: applying the plan and planning again leaves nothing', () => {
    const view = viewWith((v) => {
      stripeItem(v).quantity = 3;
      opeSub(v).cancelAtPeriodEnd = true;
      v.subsDunning.data.state = 'dunning';
      customer(v).metadata.bad_debt = 'true';
    });
    const first = plan(view);
    expect(first.changes.length).toBe(2);
    const second = plan(simulateChanges(view, first.changes));
    expect(second.outcome).toBe('noop');
  });
});

describe('money effects are judged on the subscription after the change', () => {
  // The healthy subscription bills 2000 + 3 x 500 a month: 42000 a year. A rise to prod_biz adds 216000.
  const rise = (v: AccountView) => void (opeItem(v).productId = 'prod_biz');
  it.each<[string, (v: AccountView) => void, number, boolean]>([
    ['a price rise alone', rise, 216_000, true],
    [
      'a price rise on a subscription being set to end at period end: it bills nothing more',
      (v) => {
        rise(v);
        opeSub(v).cancelAtPeriodEnd = true;
      },
      -42_000,
      false,
    ],
    [
      'a price rise on a subscription being resumed: it bills everything again',
      (v) => {
        rise(v);
        stripeSub(v).cancelAtPeriodEnd = true;
      },
      258_000,
      true,
    ],
    [
      'a price rise on a subscription that ends at period end either way',
      (v) => {
        rise(v);
        opeSub(v).cancelAtPeriodEnd = true;
        stripeSub(v).cancelAtPeriodEnd = true;
      },
      0,
      false,
    ],
  ])('%s', (_case, edit, annualDelta, raisesWithoutPaymentMethod) => {
    const view = viewWith((v) => {
      edit(v);
      customer(v).defaultPaymentMethodId = null;
    });
    const p = plan(view);
    const change = [...p.changes, ...p.blockedChanges].find((c) => c.kind === 'subscription_update');
    expect(change?.moneyEffect?.annualDeltaMinor).toBe(annualDelta);
    expect(p.restrictions.find((r) => r.name === 'InvalidPaymentMethod')?.applies).toBe(
      raisesWithoutPaymentMethod,
    );
  });
});
