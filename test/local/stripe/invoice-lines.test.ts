/**
 * An invoice's lines as Stripe serves them, through the real SDK: the invoice carries its first 10 lines
 * inline (`has_more` when there are more) and `GET /v1/invoices/:id/lines` (`invoices.listLineItems`)
 * pages them all in invoice order with `limit`, `starting_after` and `ending_before`.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripeServer, type StripeSeed, startLocalStripe } from '../../../local/stripe/index.js';
import { client, NOW } from './fixtures.js';

let server: LocalStripeServer;
let stripe: Stripe;

/** An invoice of `count` lines, each for its own amount so lines are told apart. */
function invoiceWithLines(id: string, count: number): NonNullable<StripeSeed['invoices']>[number] {
  return {
    id,
    customer: 'cus_lines',
    amount_due: count,
    lines: Array.from({ length: count }, (_, i) => ({ amount: i + 1, description: `line ${i + 1}` })),
  };
}

beforeAll(async () => {
  server = await startLocalStripe({ now: () => NOW });
  stripe = client(server);
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
  server.seed({
    customers: [{ id: 'cus_lines' }],
    invoices: [invoiceWithLines('in_long', 25), invoiceWithLines('in_short', 3)],
  });
});

const amounts = (lines: { amount: number }[]) => lines.map((l) => l.amount);
const ALL = Array.from({ length: 25 }, (_, i) => i + 1);

describe('inline lines', () => {
  it.each([
    ['in_long', ALL.slice(0, 10), true],
    ['in_short', [1, 2, 3], false],
  ] as const)('%s carries its first 10 lines inline', async (id, inline, hasMore) => {
    const invoice = await stripe.invoices.retrieve(id);
    expect(amounts(invoice.lines.data)).toEqual(inline);
    expect(invoice.lines.has_more).toBe(hasMore);
    expect(invoice.lines.url).toBe(`/v1/invoices/${id}/lines`);
  });
});

describe('GET /v1/invoices/:id/lines', () => {
  it.each([
    [{}, ALL.slice(0, 10), true],
    [{ limit: 100 }, ALL, false],
    [{ limit: 7 }, ALL.slice(0, 7), true],
    [{ limit: 5, starting_after: 'il_long_9' }, ALL.slice(10, 15), true],
    [{ starting_after: 'il_long_19' }, ALL.slice(20), false],
    [{ limit: 3, ending_before: 'il_long_10' }, ALL.slice(7, 10), true],
    [{ ending_before: 'il_long_2' }, ALL.slice(0, 2), false],
  ] satisfies [Stripe.InvoiceListLineItemsParams, number[], boolean][])(
    'pages %j',
    async (params, want, hasMore) => {
      const page = await stripe.invoices.listLineItems('in_long', params);
      expect(amounts(page.data)).toEqual(want);
      expect(page.has_more).toBe(hasMore);
      expect(page.url).toBe('/v1/invoices/in_long/lines');
    },
  );

  it('is read whole by the SDK’s auto-pagination, page after page', async () => {
    const lines = await stripe.invoices
      .listLineItems('in_long', { limit: 10 })
      .autoPagingToArray({ limit: 100 });
    expect(amounts(lines)).toEqual(ALL);
    expect(lines[0]).toMatchObject({ object: 'line_item', invoice: 'in_long', description: 'line 1' });
    expect(server.requests({ path: '^/v1/invoices/in_long/lines$' }).map((r) => r.params)).toEqual([
      { limit: '10' },
      { limit: '10', starting_after: 'il_long_9' },
      { limit: '10', starting_after: 'il_long_19' },
    ]);
  });

  it.each([
    ['an unknown invoice', () => stripe.invoices.listLineItems('in_missing'), 404, 'resource_missing'],
    [
      'an unknown cursor',
      () => stripe.invoices.listLineItems('in_long', { starting_after: 'il_x' }),
      404,
      'resource_missing',
    ],
    [
      'an unknown parameter',
      () => stripe.invoices.listLineItems('in_long', { bogus: 1 } as never),
      400,
      'parameter_unknown',
    ],
  ])('refuses %s', async (_name, call, statusCode, code) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode, code });
  });
});
