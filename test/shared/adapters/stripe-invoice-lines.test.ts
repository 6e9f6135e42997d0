import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripeServer, type StripeSeed, startLocalStripe } from '../../../local/stripe/index.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
import { NOW, PERIOD_END, PERIOD_START } from './stripe-seed.js';

/**
 * A long invoice against the local Stripe API, which (like Stripe) inlines only an invoice's first 10
 * lines: readAccount sees `lines.has_more`, pages the rest from `invoices.listLineItems`, and the view
 * carries every subscription item the invoice billed, including those only on later lines.
 */

let server: LocalStripeServer;
/** Stripe's most items on one subscription. */
const ITEMS = 20;
const itemIds = Array.from({ length: ITEMS }, (_, i) => `si_lines_${String(i).padStart(2, '0')}`);

/** A customer with a 20-item subscription and one invoice of `lines` lines cycling over its items. */
function longInvoiceSeed(lines: number): StripeSeed {
  return {
    customers: [{ id: 'cus_lines', metadata: { cf_account_id: 'acct_lines' } }],
    products: [{ id: 'prod_seat', name: 'Seat' }],
    prices: itemIds.map((_, i) => ({ id: `price_seat_${i}`, product: 'prod_seat', unit_amount: 100 + i })),
    subscriptions: [
      {
        id: 'sub_lines',
        customer: 'cus_lines',
        current_period_start: PERIOD_START,
        current_period_end: PERIOD_END,
        items: itemIds.map((id, i) => ({ id, price: `price_seat_${i}` })),
      },
    ],
    invoices: [
      {
        id: 'in_lines',
        customer: 'cus_lines',
        subscription: 'sub_lines',
        amount_due: lines * 100,
        created: PERIOD_START,
        lines: Array.from({ length: lines }, (_, i) => ({
          amount: 100,
          price: `price_seat_${i % ITEMS}`,
          quantity: 1,
          subscription_item: itemIds[i % ITEMS],
        })),
      },
    ],
  };
}

beforeAll(async () => {
  server = await startLocalStripe({ now: () => NOW });
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
});

describe('an invoice longer than its inline lines', () => {
  it.each([
    // 25 lines: the first 10 inline, then one page of up to 100 from the lines endpoint.
    [25, [{ limit: '100' }]],
    // 250 lines: three pages, each after the last line of the one before.
    [
      250,
      [
        { limit: '100' },
        { limit: '100', starting_after: 'il_lines_99' },
        { limit: '100', starting_after: 'il_lines_199' },
      ],
    ],
  ])('of %i lines is read whole: every billed item is in the view', async (lines, pages) => {
    server.seed(longInvoiceSeed(lines));
    const adapter = new StripeAdapter({
      apiKey: 'sk_test_local',
      ...server.clientConfig(),
      maxNetworkRetries: 0,
      now: () => new Date(NOW * 1000),
    });

    const inline = (await adapter.client.invoices.retrieve('in_lines')).lines;
    expect(inline.data).toHaveLength(10);
    expect(inline.has_more).toBe(true);
    server.clearRequests();

    const parts = await adapter.readAccount('cus_lines');
    const invoice = parts.invoices.data.recent.find((i) => i.id === 'in_lines');
    expect([...(invoice?.subscriptionItemIds ?? [])].sort()).toEqual(itemIds);
    expect(server.requests({ path: '^/v1/invoices/in_lines/lines$' }).map((r) => r.params)).toEqual(pages);
  });
});
