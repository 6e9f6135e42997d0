import type { StripeSeed } from '../../../local/stripe/index.js';
import type { Change, ChangeTarget, StripeOperation, StripeParamValue } from '../../../shared/domain/plan.js';

/** Pinned clock of the local Stripe server: 2026-11-01T00:00:00Z. */
export const NOW = Date.UTC(2026, 10, 1) / 1000;
export const PERIOD_START = Date.UTC(2026, 9, 20) / 1000;
export const PERIOD_END = Date.UTC(2026, 10, 20) / 1000;
export const LATER_PERIOD_END = Date.UTC(2026, 10, 25) / 1000;
const DAY = 86_400;

/**
 * A synthetic Stripe world covering every field the AccountView maps: metadata on every level, a default
 * and an expired card, live, canceled and cancel-at-period-end subscriptions in two currencies' worth of
 * shapes, and invoices in every status that matters (uncollectible with billed items, void, paid).
 */
export function adapterSeed(): StripeSeed {
  return {
    customers: [
      {
        id: 'cus_full',
        email: 'full@example.test',
        metadata: { cf_account_id: 'acct_full', bad_debt: 'true' },
        default_payment_method: 'pm_full_current',
      },
      { id: 'cus_bare', metadata: {} },
      { id: 'cus_weekly' },
      { id: 'cus_quarterly' },
    ],
    payment_methods: [
      {
        id: 'pm_full_current',
        customer: 'cus_full',
        card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 },
      },
      {
        id: 'pm_full_expired',
        customer: 'cus_full',
        card: { brand: 'mastercard', last4: '4444', exp_month: 1, exp_year: 2024 },
      },
    ],
    products: [
      { id: 'prod_pro', name: 'Pro' },
      { id: 'prod_addon', name: 'Add-on' },
      { id: 'prod_biz', name: 'Business' },
    ],
    prices: [
      { id: 'price_pro_m', product: 'prod_pro', unit_amount: 2000 },
      { id: 'price_addon_m', product: 'prod_addon', unit_amount: 500 },
      { id: 'price_biz_y', product: 'prod_biz', unit_amount: 240000, recurring: { interval: 'year' } },
      { id: 'price_pro_weekly', product: 'prod_pro', unit_amount: 500, recurring: { interval: 'week' } },
      {
        id: 'price_pro_quarterly',
        product: 'prod_pro',
        unit_amount: 5500,
        recurring: { interval: 'month', interval_count: 3 },
      },
    ],
    subscriptions: [
      {
        id: 'sub_full_live',
        customer: 'cus_full',
        created: PERIOD_START - 10 * DAY,
        current_period_start: PERIOD_START,
        current_period_end: PERIOD_END,
        metadata: { ope_subscription_id: 'ope_sub_1' },
        items: [
          { id: 'si_full_pro', price: 'price_pro_m', quantity: 1, metadata: { ope_item_id: 'ope_item_1' } },
          {
            id: 'si_full_addon',
            price: 'price_addon_m',
            quantity: 3,
            metadata: { ope_item_id: 'ope_item_2' },
          },
        ],
      },
      {
        // Renews later than sub_full_live and ends anyway: neither is the next invoice.
        id: 'sub_full_ending',
        customer: 'cus_full',
        created: PERIOD_START - 5 * DAY,
        current_period_start: PERIOD_START,
        current_period_end: LATER_PERIOD_END,
        cancel_at_period_end: true,
        metadata: { ope_subscription_id: 'ope_sub_2', contract: 'true' },
        items: [{ id: 'si_full_biz', price: 'price_biz_y', quantity: 2 }],
      },
      {
        id: 'sub_full_canceled',
        customer: 'cus_full',
        status: 'canceled',
        created: PERIOD_START - 90 * DAY,
        canceled_at: PERIOD_START - 30 * DAY,
        items: [{ id: 'si_full_old', price: 'price_pro_m' }],
      },
      {
        id: 'sub_weekly',
        customer: 'cus_weekly',
        items: [{ id: 'si_weekly', price: 'price_pro_weekly' }],
      },
      {
        id: 'sub_quarterly',
        customer: 'cus_quarterly',
        items: [{ id: 'si_quarterly', price: 'price_pro_quarterly' }],
      },
    ],
    invoices: [
      {
        id: 'in_full_uncollectible',
        customer: 'cus_full',
        subscription: 'sub_full_live',
        status: 'uncollectible',
        amount_due: 3500,
        created: PERIOD_START - 30 * DAY,
        metadata: { cf_account_id: 'acct_full' },
        lines: [
          { price: 'price_pro_m', quantity: 1, amount: 2000, subscription_item: 'si_full_pro' },
          { price: 'price_addon_m', quantity: 3, amount: 1500, subscription_item: 'si_full_addon' },
          // A manual line bills no subscription item.
          { amount: 100, description: 'one-off' },
        ],
      },
      {
        id: 'in_full_void',
        customer: 'cus_full',
        subscription: 'sub_full_live',
        status: 'void',
        amount_due: 2000,
        created: PERIOD_START - 20 * DAY,
        lines: [{ price: 'price_pro_m', quantity: 1, amount: 2000, subscription_item: 'si_full_pro' }],
      },
      {
        id: 'in_full_manual',
        customer: 'cus_full',
        status: 'paid',
        amount_due: 100,
        created: PERIOD_START - 10 * DAY,
        metadata: { cf_account_id: 'acct_other' },
      },
      ...Array.from({ length: 11 }, (_, i) => ({
        id: `in_full_paid_${String(i).padStart(2, '0')}`,
        customer: 'cus_full',
        subscription: 'sub_full_live',
        status: 'paid' as const,
        amount_due: 3500,
        // Older than the three above: they fill the rest of the ten most recent.
        created: PERIOD_START - (40 + i) * DAY,
        lines: [{ price: 'price_pro_m', quantity: 1, amount: 2000, subscription_item: 'si_full_pro' }],
      })),
    ],
  };
}

/** A Change as the planner would emit it (only what the adapter reads matters). */
export function changeFor(
  kind: Change['kind'],
  target: ChangeTarget,
  sdkMethod: StripeOperation['sdkMethod'],
  params: Record<string, StripeParamValue>,
  id = 'chg_0123456789abcdef0123',
): Change {
  return {
    id,
    kind,
    target,
    operation: {
      sdkMethod,
      httpMethod: sdkMethod === 'subscriptions.cancel' ? 'DELETE' : 'POST',
      path: `/v1/${target.object}s/${target.id}`,
      params,
    },
    itemChanges: [],
    drift: [],
    moneyEffect: null,
    preconditions: [],
    gatedBy: null,
  };
}
