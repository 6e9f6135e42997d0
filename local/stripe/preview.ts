import type Stripe from 'stripe';
import { errors, StripeApiError } from './errors.js';
import { addInterval, type InvoiceLineRecord, type InvoiceRecord } from './records.js';
import { renderInvoice, type Wire } from './render.js';
import type { StripeStore } from './store.js';

/**
 * The upcoming invoice (`POST /v1/invoices/create_preview`): computed from the store's records on each
 * request and never stored, since a preview is a forecast, not a Stripe object that exists.
 */

/**
 * The next invoice of a subscription as `invoices.createPreview` returns it: dated at the end of the
 * current period, billing every item for the next period at its current price and quantity.
 */
export function upcomingInvoice(
  store: StripeStore,
  customerId: string,
  subscriptionId: string | undefined,
): Wire<Stripe.Invoice> {
  const customer = store.customer(customerId);
  const candidates = [...store.subscriptions.values()].filter(
    (s) =>
      s.customer === customer.id &&
      (subscriptionId === undefined || s.id === subscriptionId) &&
      s.status !== 'canceled' &&
      s.status !== 'incomplete_expired' &&
      !s.cancel_at_period_end,
  );
  if (subscriptionId !== undefined) {
    const sub = store.subscription(subscriptionId);
    if (sub.customer !== customer.id) {
      throw errors.invalid(
        `The subscription ${sub.id} does not belong to customer ${customer.id}.`,
        'subscription',
      );
    }
  }
  candidates.sort(
    (a, b) =>
      Math.min(...a.items.map((i) => i.current_period_end)) -
      Math.min(...b.items.map((i) => i.current_period_end)),
  );
  const sub = candidates[0];
  if (!sub) {
    throw new StripeApiError(404, {
      type: 'invalid_request_error',
      code: 'invoice_upcoming_none',
      message: `No upcoming invoices for customer: ${customer.id}`,
    });
  }
  const periodStart = Math.min(...sub.items.map((i) => i.current_period_end));
  const lines: InvoiceLineRecord[] = sub.items.map((item, index) => {
    const price = store.price(item.price);
    const recurring = price.recurring ?? { interval: 'month' as const, interval_count: 1 };
    return {
      id: `il_upcoming_${sub.id.slice(4)}_${index}`,
      price: price.id,
      quantity: item.quantity,
      amount: (price.unit_amount ?? 0) * item.quantity,
      description: `${item.quantity} × ${store.products.get(price.product)?.name ?? price.product}`,
      subscription_item: item.id,
      period_start: item.current_period_end,
      period_end: addInterval(item.current_period_end, recurring.interval, recurring.interval_count),
      metadata: {},
    };
  });
  const total = lines.reduce((sum, l) => sum + l.amount, 0);
  const record: InvoiceRecord = {
    id: `upcoming_in_${sub.id.slice(4)}`,
    customer: customer.id,
    subscription: sub.id,
    status: 'draft',
    currency: sub.currency,
    amount_due: total,
    amount_paid: 0,
    billing_reason: 'subscription_cycle',
    created: periodStart,
    period_start: sub.items[0]?.current_period_start ?? periodStart,
    period_end: periodStart,
    due_date: null,
    number: null,
    metadata: {},
    lines,
  };
  return renderInvoice(store, record, { subscriptionMetadata: { ...sub.metadata } });
}
