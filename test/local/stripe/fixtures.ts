import Stripe from 'stripe';
import type { LocalStripeServer, StripeSeed } from '../../../local/stripe/index.js';

/** Pinned clock so periods and preview dates are exact: 2026-11-01T00:00:00Z. */
export const NOW = Date.UTC(2026, 10, 1) / 1000;
export const PERIOD_START = Date.UTC(2026, 9, 20) / 1000;
export const PERIOD_END = Date.UTC(2026, 10, 20) / 1000;

/** A small synthetic Stripe world: two customers, a catalogue, subscriptions and invoices. */
export function fixtureSeed(): StripeSeed {
  return {
    customers: [
      {
        id: 'cus_alpha',
        email: 'alpha@example.test',
        metadata: { account_id: 'acct_alpha' },
        default_payment_method: 'pm_alpha',
      },
      { id: 'cus_beta', email: 'beta@example.test', metadata: { account_id: 'acct_beta' } },
    ],
    payment_methods: [
      { id: 'pm_alpha', customer: 'cus_alpha' },
      {
        id: 'pm_alpha2',
        customer: 'cus_alpha',
        card: { brand: 'mastercard', last4: '4444', exp_month: 1, exp_year: 2031 },
      },
    ],
    products: [
      { id: 'prod_pro', name: 'Pro' },
      { id: 'prod_biz', name: 'Business' },
      { id: 'prod_addon', name: 'Add-on' },
    ],
    prices: [
      { id: 'price_pro', product: 'prod_pro', unit_amount: 2000 },
      { id: 'price_biz', product: 'prod_biz', unit_amount: 20000 },
      { id: 'price_addon', product: 'prod_addon', unit_amount: 500 },
      { id: 'price_pro_yearly', product: 'prod_pro', unit_amount: 20000, recurring: { interval: 'year' } },
      { id: 'price_setup', product: 'prod_pro', unit_amount: 900, recurring: null },
    ],
    subscriptions: [
      {
        id: 'sub_alpha',
        customer: 'cus_alpha',
        created: PERIOD_START - 86_400,
        current_period_start: PERIOD_START,
        current_period_end: PERIOD_END,
        metadata: { account_id: 'acct_alpha' },
        items: [
          { id: 'si_alpha_pro', price: 'price_pro', metadata: { ope_item_id: 'ope_1' } },
          { id: 'si_alpha_addon', price: 'price_addon', quantity: 3, metadata: { ope_item_id: 'ope_2' } },
        ],
      },
      {
        id: 'sub_alpha_old',
        customer: 'cus_alpha',
        status: 'canceled',
        created: PERIOD_START - 90 * 86_400,
        canceled_at: PERIOD_START - 30 * 86_400,
        items: [{ price: 'price_biz' }],
      },
      {
        id: 'sub_beta',
        customer: 'cus_beta',
        created: PERIOD_START,
        current_period_start: PERIOD_START,
        items: [{ price: 'price_biz' }],
      },
    ],
    invoices: Array.from({ length: 5 }, (_, i) => ({
      id: `in_alpha_${i}`,
      customer: 'cus_alpha',
      subscription: 'sub_alpha',
      amount_due: 3500,
      status: i === 4 ? ('open' as const) : ('paid' as const),
      created: PERIOD_START - (4 - i) * 30 * 86_400,
    })),
  };
}

export function client(server: LocalStripeServer, maxNetworkRetries = 0): Stripe {
  return new Stripe('sk_test_local', { ...server.clientConfig(), maxNetworkRetries });
}
