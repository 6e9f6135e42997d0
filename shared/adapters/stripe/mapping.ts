import type Stripe from 'stripe';
import {
  type StripeCustomer,
  type StripeInvoice,
  StripeInvoiceStatus,
  type StripeItem,
  type StripePaymentMethod,
  type StripePrice,
  type StripeSubscription,
  StripeSubscriptionStatus,
  type UpcomingInvoice,
} from '../../domain/account-view.js';
import { Interval } from '../../domain/common.js';

/**
 * Stripe SDK objects -> the AccountView shapes, pure. Anything the view cannot represent faithfully
 * (a weekly price, a metered item, an unknown status) is refused with a StripeMappingError, never guessed.
 */

/** A Stripe object the view cannot represent faithfully (e.g. a weekly price): refuse, never guess. */
export class StripeMappingError extends Error {
  override readonly name = 'StripeMappingError';
  constructor(
    message: string,
    /** The Stripe object at fault, e.g. `price_123`. */
    readonly objectId: string,
  ) {
    super(message);
  }
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

export function mapPrice(price: Stripe.Price): StripePrice {
  const recurring = price.recurring;
  if (recurring === null) {
    throw new StripeMappingError(
      `price ${price.id} is one-time, not recurring: cannot bill a subscription`,
      price.id,
    );
  }
  const interval = Interval.safeParse(recurring.interval);
  if (!interval.success || recurring.interval_count !== 1) {
    throw new StripeMappingError(
      `price ${price.id} bills every ${recurring.interval_count} ${recurring.interval}: only 1 month or 1 year is supported`,
      price.id,
    );
  }
  if (price.unit_amount === null) {
    throw new StripeMappingError(
      `price ${price.id} has no unit_amount (billing scheme ${price.billing_scheme}): only per-unit prices are supported`,
      price.id,
    );
  }
  return {
    id: price.id,
    productId: idOf(price.product) as string,
    unitAmountMinor: price.unit_amount,
    currency: price.currency,
    interval: interval.data,
  };
}

export function mapItem(item: Stripe.SubscriptionItem): StripeItem {
  if (item.quantity === undefined || item.quantity === null) {
    throw new StripeMappingError(
      `subscription item ${item.id} has no quantity (metered?): not supported`,
      item.id,
    );
  }
  return {
    id: item.id,
    price: mapPrice(item.price),
    quantity: item.quantity,
    metadata: { ...item.metadata },
  };
}

export function mapSubscription(
  sub: Stripe.Subscription,
  items: readonly Stripe.SubscriptionItem[],
): StripeSubscription {
  const status = StripeSubscriptionStatus.safeParse(sub.status);
  if (!status.success) {
    throw new StripeMappingError(
      `subscription ${sub.id} has an unknown status ${String(sub.status)}`,
      sub.id,
    );
  }
  return {
    id: sub.id,
    customerId: idOf(sub.customer) as string,
    status: status.data,
    currency: sub.currency,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    metadata: { ...(sub.metadata ?? {}) },
    items: items.map(mapItem),
  };
}

export function mapCustomer(customer: Stripe.Customer | Stripe.DeletedCustomer): StripeCustomer {
  if (customer.deleted === true) {
    return { id: customer.id, deleted: true, currency: null, defaultPaymentMethodId: null, metadata: {} };
  }
  const c = customer as Stripe.Customer;
  return {
    id: c.id,
    deleted: false,
    currency: c.currency ?? null,
    defaultPaymentMethodId: idOf(c.invoice_settings?.default_payment_method),
    metadata: { ...(c.metadata ?? {}) },
  };
}

export function mapPaymentMethod(pm: Stripe.PaymentMethod): StripePaymentMethod {
  return {
    id: pm.id,
    type: pm.type,
    cardExpMonth: pm.card?.exp_month ?? null,
    cardExpYear: pm.card?.exp_year ?? null,
  };
}

/** The subscription item ids a set of invoice lines bills (API 2025-03+: `parent.subscription_item_details`). */
export function billedItemIds(lines: readonly Stripe.InvoiceLineItem[]): string[] {
  const ids: string[] = [];
  for (const line of lines) {
    const item = line.parent?.subscription_item_details?.subscription_item;
    if (item && !ids.includes(item)) ids.push(item);
  }
  return ids;
}

export function mapInvoice(invoice: Stripe.Invoice, lines: readonly Stripe.InvoiceLineItem[]): StripeInvoice {
  const status = StripeInvoiceStatus.safeParse(invoice.status);
  if (!status.success || invoice.id === undefined) {
    throw new StripeMappingError(
      `invoice ${invoice.id ?? '(preview)'} has no known status (${String(invoice.status)})`,
      invoice.id ?? 'invoice',
    );
  }
  return {
    id: invoice.id,
    status: status.data,
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription),
    subscriptionItemIds: billedItemIds(lines),
    metadata: { ...(invoice.metadata ?? {}) },
  };
}

/**
 * The next invoice from a preview: a subscription invoice is created at the end of the current period,
 * which is the preview's `period_end` (its lines bill the period after). `next_payment_attempt` would be
 * null for send_invoice subscriptions, so it is not used.
 */
export function mapUpcoming(preview: Stripe.Invoice): UpcomingInvoice {
  return {
    nextInvoiceAt: iso(preview.period_end),
    amountDueMinor: preview.amount_due,
    currency: preview.currency,
  };
}
